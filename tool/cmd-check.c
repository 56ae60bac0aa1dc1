/* check: is this host ready for templates and clones (lib/virt/check.h)?
 * One line per item; exits non-zero if any item FAILs. */
#include <getopt.h>
#include <stdio.h>

#include <json-c/json.h>

#include "check.h"
#include "cleanup.h"
#include "cli.h"
#include "virt.h"

static void vt_check_print(const struct vt_check_report *r)
{
    for (size_t i = 0; i < r->count; i++) {
        const struct vt_check_item *it = &r->items[i];
        printf("%s  %-12s %s%s%s\n", vt_check_status_name(it->status), it->name, it->message,
               it->fix ? "; fix: " : "", it->fix ? it->fix : "");
    }
}

static json_object *vt_check_json(const struct vt_check_report *r)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    for (size_t i = 0; i < r->count; i++) {
        const struct vt_check_item *it = &r->items[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "item", json_object_new_string(it->name));
        json_object_object_add(j, "status",
                               json_object_new_string(vt_check_status_name(it->status)));
        json_object_object_add(j, "message", json_object_new_string(it->message));
        json_object_object_add(j, "fix", it->fix ? json_object_new_string(it->fix) : NULL);
        json_object_array_add(list, j);
    }
    json_object_object_add(o, "result",
                           json_object_new_string(vt_check_status_name(vt_check_report_result(r))));
    json_object_object_add(o, "checks", list);
    return o;
}

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
        json_object *o = vt_check_json(&r);
        printf("%s\n", json_object_to_json_string_ext(o, VT_CLI_JSON_FLAGS));
        json_object_put(o);
    } else {
        vt_check_print(&r);
    }
    size_t failed = vt_check_report_count(&r, VT_CHECK_FAIL), total = r.count;
    vt_check_report_clear(&r);
    if (failed > 0)
        return vt_error_set(err, 0, "%zu of %zu checks failed", failed, total);
    return 0;
}
