#include <getopt.h>
#include <stddef.h>

#include "cli.h"
#include "template.h"

int vt_cmd_save(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {{"wait-console", required_argument, NULL, 'w'},
                                         {"wait-agent", no_argument, NULL, 'a'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct vt_save_opts save = {0};
    unsigned timeout = 300;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': save.wait_console = optarg; break;
        case 'a': save.wait_agent = true; break;
        case 'T': if (vt_cli_uint(cli, "--timeout", optarg, &timeout, err) < 0) return -1; break;
        case 'h': return vt_cli_help(cli);
        case ':': return vt_cli_usage(cli, err, "option '%s' needs a value", argv[optind - 1]);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage(cli, err, "save: give exactly one TEMPLATE");
    save.timeout_s = (int)timeout;
    if (vt_cli_connect(cli, err) < 0)
        return -1;
    struct vt_progress progress;
    vt_cli_progress_begin(cli, &progress, save.timeout_s);
    save.progress = &progress;
    int rc = vt_template_save(cli->conn, cli->dirs, argv[optind], &save, err);
    vt_cli_progress_end(cli);
    if (rc < 0)
        return -1;
    vt_cli_note(cli, "Template '%s' saved", argv[optind]);
    return 0;
}
