/* virt-template: VM templates and instant clones for libvirt. A thin
 * front end: each subcommand is one file, the logic lives in lib/. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "virt.h"

static const struct vt_command vt_commands[] = {
    {"create", vt_cmd_create,
     "create TEMPLATE (--xml FILE | --from DOMAIN | --kernel FILE --initrd FILE\n"
     "        [--cmdline S] [--memory MiB] [--vcpus N] [--virt-type TYPE])\n"
     "        [--memory-dir DIR] [--wait-console REGEX] [--wait-agent] [--timeout SEC]"},
    {"save", vt_cmd_save, "save TEMPLATE [--wait-console REGEX] [--wait-agent] [--timeout SEC]"},
    {"clone", vt_cmd_clone,
     "clone TEMPLATE (NAME... | --count N [--prefix P]) [--start] [--print-xml]\n"
     "        [--data FILE] [--forward [HOST:]GUEST]..."},
    {"list", vt_cmd_list, "list [--json]"},
    {"info", vt_cmd_info, "info TEMPLATE [--json]"},
    {"delete", vt_cmd_delete, "delete TEMPLATE [--force]"},
    {"pool", vt_cmd_pool, "pool TEMPLATE [--size N [--no-wait] | --refill | --json]"},
    {"take", vt_cmd_take, "take TEMPLATE [NAME]"},
    {"detach", vt_cmd_detach, "detach CLONE [--disk-dir DIR]"},
    {"stats", vt_cmd_stats, "stats [TEMPLATE] [--json]"},
    {"check", vt_cmd_check, "check [--json]"},
};

static void vt_usage(FILE *out)
{
    fprintf(out, "Usage: virt-template [-c URI] [-q] COMMAND [ARGS...]\n\n"
                 "VM templates and instant clones for libvirt.\n\n"
                 "Options:\n"
                 "  -c, --connect URI  libvirt connection URI (default qemu:///system)\n"
                 "  -q, --quiet        no progress messages\n"
                 "  -h, --help         show this help\n"
                 "  -V, --version      show the versions of virt-template, libvirt and QEMU\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_commands); i++)
        fprintf(out, "  %s\n", vt_commands[i].synopsis);
    fprintf(out, "\nRun 'virt-template COMMAND --help' for a command's options.\n");
}

static const struct vt_command *vt_find_command(const char *name)
{
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_commands); i++)
        if (strcmp(vt_commands[i].name, name) == 0)
            return &vt_commands[i];
    return NULL;
}

/* Global options; returns the index of the command name, 0 to exit OK. */
static int vt_parse_global(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {{"connect", required_argument, NULL, 'c'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int c;
    bool version = false;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:qhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cli->uri = optarg; break;
        case 'q': cli->quiet = true; break;
        case 'h': vt_usage(stdout); return 0;
        case 'V': version = true; break;
        case ':': return vt_cli_usage(cli, err, "option '%s' needs a value", argv[optind - 1]);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    /* After the loop: -c may follow -V. */
    if (version)
        return vt_cli_version(cli, err);
    if (optind >= argc)
        return vt_cli_usage(cli, err, "no command given");
    return optind;
}

static int vt_run(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    int first = vt_parse_global(cli, argc, argv, err);
    if (first <= 0)
        return first;
    const struct vt_command *cmd = vt_find_command(argv[first]);
    if (cmd == NULL)
        return vt_cli_usage(cli, err, "unknown command '%s'", argv[first]);
    cli->command = cmd;
    optind = 0; /* glibc: a full re-initialisation for the subcommand */
    return cmd->run(cli, argc - first, argv + first, err);
}

int main(int argc, char **argv)
{
    struct vt_cli cli = {.uri = "qemu:///system", .dirs = vt_dirs_default()};
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_run(&cli, argc, argv, &err);
    if (cli.conn)
        virConnectClose(cli.conn);
    if (rc < 0) {
        fprintf(stderr, "virt-template: error: %s\n", err ? err->msg : "unknown error");
        if (cli.usage_error)
            fprintf(stderr, "Try 'virt-template --help' for more information.\n");
        return cli.usage_error ? 2 : 1;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "virt-template: error: cannot write output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int vt_cli_connect(struct vt_cli *cli, vt_error_t *err)
{
    struct vt_versions v;
    if (cli->conn)
        return 0;
    if ((cli->conn = vt_virt_open(cli->uri, err)) == NULL)
        return -1;
    /* Every command refuses a stack below the supported range, once. */
    if (vt_virt_versions(cli->conn, &v, err) < 0 || vt_versions_check(&v, err) < 0)
        return -1;
    return 0;
}

int vt_cli_usage(struct vt_cli *cli, vt_error_t *err, const char *fmt, ...)
{
    va_list ap;
    char msg[512];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cli->usage_error = true;
    return vt_error_set(err, 0, "%s", msg);
}

void vt_cli_note(const struct vt_cli *cli, const char *fmt, ...)
{
    if (cli->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int vt_cli_uint(struct vt_cli *cli, const char *opt, const char *value, unsigned *out,
                vt_error_t *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || n == 0 || n > 1000000 || value[0] == '-')
        return vt_cli_usage(cli, err, "invalid value '%s' for %s", value, opt);
    *out = (unsigned)n;
    return 0;
}

int vt_cli_help(const struct vt_cli *cli)
{
    printf("Usage: virt-template %s\n", cli->command->synopsis);
    return 0;
}

const char *vt_cli_size(unsigned long long bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < VT_N_ELEMENTS(units)) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}
