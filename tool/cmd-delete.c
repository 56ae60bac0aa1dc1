#include <getopt.h>
#include <stddef.h>

#include "cli.h"
#include "template.h"

int vt_cmd_delete(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool force = false;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': force = true; break;
        case 'h': return vt_cli_help(cli);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage(cli, err, "delete: give exactly one TEMPLATE");
    if (vt_cli_connect(cli, err) < 0 ||
        vt_template_delete(cli->conn, cli->dirs, argv[optind], force, err) < 0)
        return -1;
    vt_cli_note(cli, "Template '%s' deleted", argv[optind]);
    return 0;
}
