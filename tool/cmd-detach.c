/* detach: a shut-off clone becomes an ordinary domain of its own. */
#include <getopt.h>
#include <stddef.h>

#include "cli.h"
#include "detach.h"

int vt_cmd_detach(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {{"disk-dir", required_argument, NULL, 'd'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *disk_dir = VT_DETACH_DISK_DIR;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': disk_dir = optarg; break;
        case 'h': return vt_cli_help(cli);
        case ':': return vt_cli_usage(cli, err, "option '%s' needs a value", argv[optind - 1]);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage(cli, err, "detach: give exactly one CLONE");
    if (vt_cli_connect(cli, err) < 0 ||
        vt_clone_detach(cli->conn, cli->dirs, argv[optind], disk_dir, err) < 0)
        return -1;
    vt_cli_note(cli, "Clone '%s' is now an ordinary domain; it boots afresh from its own disks",
                argv[optind]);
    return 0;
}
