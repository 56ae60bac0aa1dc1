#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "clone.h"
#include "template.h"

struct vt_clone_args {
    struct vt_clone_request req;
    bool print_xml;
};

/* --forward GUEST or HOST:GUEST (TCP ports). */
static int vt_clone_parse_forward(struct vt_cli *cli, const char *value,
                                  struct vt_clone_request *req, vt_error_t *err)
{
    unsigned host = 0, guest = 0;
    const char *colon = strchr(value, ':');
    char host_text[16] = "";
    if (req->nforwards == VT_FORWARDS_MAX)
        return vt_cli_usage(cli, err, "clone: at most %d --forward", VT_FORWARDS_MAX);
    if (colon) {
        snprintf(host_text, sizeof(host_text), "%.*s", (int)(colon - value), value);
        if (vt_cli_uint(cli, "--forward", host_text, &host, err) < 0)
            return -1;
    }
    if (vt_cli_uint(cli, "--forward", colon ? colon + 1 : value, &guest, err) < 0)
        return -1;
    if (host > 65535 || guest > 65535)
        return vt_cli_usage(cli, err, "invalid value '%s' for --forward: ports go to 65535", value);
    req->forwards[req->nforwards++] = (struct vt_forward){.host = host, .guest = guest};
    return 0;
}

static int vt_clone_parse(struct vt_cli *cli, int argc, char **argv, struct vt_clone_args *a,
                          vt_error_t *err)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'}, {"prefix", required_argument, NULL, 'p'},
        {"start", no_argument, NULL, 's'},       {"print-xml", no_argument, NULL, 'x'},
        {"data", required_argument, NULL, 'd'},  {"forward", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (vt_cli_uint(cli, "--count", optarg, &a->req.count, err) < 0)
                return -1;
            break;
        case 'p': a->req.prefix = optarg; break;
        case 's': a->req.start = true; break;
        case 'x': a->print_xml = true; break;
        case 'd': a->req.data_file = optarg; break;
        case 'f':
            if (vt_clone_parse_forward(cli, optarg, &a->req, err) < 0)
                return -1;
            break;
        case 'h': return vt_cli_help(cli) + 1;
        case ':': return vt_cli_usage(cli, err, "option '%s' needs a value", argv[optind - 1]);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return vt_cli_usage(cli, err, "clone: missing TEMPLATE name");
    a->req.template_name = argv[optind++];
    bool named = optind < argc;
    if (named == (a->req.count > 0))
        return vt_cli_usage(cli, err, "clone: give clone NAMEs or --count, not both or neither");
    if (a->req.prefix && !a->req.count)
        return vt_cli_usage(cli, err, "clone: --prefix needs --count");
    if (a->print_xml && (a->req.data_file || a->req.nforwards))
        return vt_cli_usage(cli, err, "clone: --print-xml defines nothing, so it takes no --data or --forward");
    if (a->print_xml && a->req.start)
        return vt_cli_usage(cli, err, "clone: --print-xml defines nothing, so it cannot --start");
    a->req.names = named ? argv + optind : NULL;
    return 0;
}

/* What a user of a disk-backed template must know before relying on a
 * clone's disk. */
static void vt_clone_note_disks(const struct vt_cli *cli, const char *template_name)
{
    struct vt_template_info info;
    vt_autoerror vt_error_t ignored = NULL;
    if (vt_template_describe(cli->conn, cli->dirs, template_name, &info, &ignored) < 0)
        return;
    if (info.meta.ndisks > 0)
        vt_cli_note(cli,
                    "Note: every fresh start of a clone of '%s' discards what it wrote to its "
                    "disks (a managed save keeps them; 'virt-template detach CLONE' makes a "
                    "clone an ordinary domain)",
                    template_name);
    vt_template_info_clear(&info);
}

static int vt_clone_print(struct vt_cli *cli, const struct vt_clone_request *req, vt_error_t *err)
{
    vt_autostrv char **xmls = NULL;
    if (vt_clone_preview(cli->conn, cli->dirs, req, &xmls, err) < 0)
        return -1;
    for (char **x = xmls; *x; x++)
        fputs(*x, stdout);
    return 0;
}

int vt_cmd_clone(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    struct vt_clone_args a = {0};
    int rc = vt_clone_parse(cli, argc, argv, &a, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    if (vt_cli_connect(cli, err) < 0)
        return -1;
    if (a.print_xml)
        return vt_clone_print(cli, &a.req, err);
    vt_autostrv char **made = NULL;
    struct vt_progress progress;
    vt_cli_progress_begin(cli, &progress, 0);
    a.req.progress = &progress;
    rc = vt_clone_create(cli->conn, cli->dirs, &a.req, &made, err);
    vt_cli_progress_end(cli);
    if (rc < 0)
        return -1;
    for (char **m = made; *m; m++)
        printf("%s\n", *m);
    vt_cli_note(cli, "%s clone(s) of '%s'", a.req.start ? "Started" : "Defined",
                a.req.template_name);
    vt_clone_note_disks(cli, a.req.template_name);
    return 0;
}
