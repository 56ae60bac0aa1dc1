/* check: is this host ready for templates and clones (lib/virt/check.h)?
 * One line per item; exits non-zero if any item FAILs. */
#include <getopt.h>
#include <stdio.h>

#include "check.h"
#include "cleanup.h"
#include "cli.h"
#include "virt.h"

int vt_cmd_check(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': return vt_cli_help(cli);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return vt_cli_usage(cli, err, "check: unexpected argument '%s'", argv[optind]);
    /* A libvirtd that cannot be reached is a finding, not an error: the
     * host's own checks still run. */
    vt_autoerror vt_error_t conn_err = NULL;
    if (cli->conn == NULL)
        cli->conn = vt_virt_open(cli->uri, &conn_err);
    struct vt_check_report r;
    if (vt_check_run(cli->conn, cli->uri, conn_err ? conn_err->msg : NULL, cli->dirs,
                     vt_check_env_default(), &r, err) < 0)
        return -1;
    if (json) {
        json_object *o = vt_check_report_json(&r);
        printf("%s\n", json_object_to_json_string_ext(o, VT_CLI_JSON_FLAGS));
        json_object_put(o);
    } else {
        vt_check_report_print(&r, stdout);
    }
    size_t failed = vt_check_report_count(&r, VT_CHECK_FAIL), total = r.count;
    vt_check_report_clear(&r);
    if (failed > 0)
        return vt_error_set(err, 0, "%zu of %zu checks failed", failed, total);
    return 0;
}
