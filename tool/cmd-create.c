#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fileio.h"
#include "names.h"
#include "template.h"
#include "virt.h"
#include "xml.h"

#define VT_BASE_KERNEL "kernel-initrd.xml"
#define VT_INPUT_MAX (16 * 1024 * 1024)

struct vt_create_args {
    const char *name, *xml_file, *from, *kernel, *initrd, *cmdline, *virt_type, *memory_dir;
    unsigned memory_mib, vcpus;
    struct vt_save_opts save;
};

/* Absolute, existing paths: libvirt resolves nothing relative to us. */
static char *vt_create_abs(const char *path, const char *what, vt_error_t *err)
{
    char *abs = realpath(path, NULL);
    if (abs == NULL || access(abs, R_OK) < 0) {
        vt_error_set(err, 0, "cannot read %s '%s'", what, path);
        free(abs);
        return NULL;
    }
    return abs;
}

static char *vt_create_from_kernel(const struct vt_cli *cli, const struct vt_create_args *a,
                                   vt_error_t *err)
{
    vt_autofree char *base = NULL, *xml = NULL;
    vt_autofree char *kernel = vt_create_abs(a->kernel, "kernel", err);
    vt_autofree char *initrd = kernel ? vt_create_abs(a->initrd, "initrd", err) : NULL;
    vt_autofree char *base_path = initrd ? vt_path_base_xml(cli->dirs, VT_BASE_KERNEL, err) : NULL;
    vt_autofree char *log = base_path ? vt_path_console_log(cli->dirs, a->name, err) : NULL;
    if (log == NULL || vt_file_read(base_path, VT_INPUT_MAX, &base, NULL, err) < 0)
        return NULL;
    struct vt_xml_kernel_params p = {.name = a->name,
                                     .virt_type = a->virt_type,
                                     .kernel = kernel,
                                     .initrd = initrd,
                                     .cmdline = a->cmdline,
                                     .memory_mib = a->memory_mib,
                                     .vcpus = a->vcpus,
                                     .console_log = log};
    if (vt_xml_fill_kernel_base(base, &p, &xml, err) < 0)
        return NULL;
    return vt_steal(xml);
}

static char *vt_create_from_domain(struct vt_cli *cli, const char *name, vt_error_t *err)
{
    bool missing;
    vt_autodomain virDomainPtr dom = vt_virt_domain_lookup(cli->conn, name, &missing, err);
    if (dom == NULL)
        return NULL;
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (xml == NULL)
        vt_error_set_virt(err, "cannot read the XML of domain '%s'", name);
    return xml;
}

static char *vt_create_source(struct vt_cli *cli, const struct vt_create_args *a, vt_error_t *err)
{
    char *xml = NULL;
    if (a->xml_file) {
        if (vt_file_read(a->xml_file, VT_INPUT_MAX, &xml, NULL, err) < 0)
            return NULL;
        return xml;
    }
    if (a->from)
        return vt_create_from_domain(cli, a->from, err);
    return vt_create_from_kernel(cli, a, err);
}

static int vt_create_check(struct vt_cli *cli, const struct vt_create_args *a, vt_error_t *err)
{
    int sources = !!a->xml_file + !!a->from + !!(a->kernel || a->initrd);
    if (a->name == NULL)
        return vt_cli_usage(cli, err, "create: missing TEMPLATE name");
    if (sources != 1)
        return vt_cli_usage(cli, err,
                            "create: give exactly one of --xml, --from, --kernel/--initrd");
    if ((a->kernel || a->initrd) && !(a->kernel && a->initrd))
        return vt_cli_usage(cli, err, "create: --kernel and --initrd go together");
    return 0;
}

static int vt_create_parse(struct vt_cli *cli, int argc, char **argv, struct vt_create_args *a,
                           vt_error_t *err)
{
    static const struct option opts[] = {{"xml", required_argument, NULL, 'x'},
                                         {"from", required_argument, NULL, 'f'},
                                         {"kernel", required_argument, NULL, 'k'},
                                         {"initrd", required_argument, NULL, 'i'},
                                         {"cmdline", required_argument, NULL, 'l'},
                                         {"memory", required_argument, NULL, 'm'},
                                         {"vcpus", required_argument, NULL, 'v'},
                                         {"virt-type", required_argument, NULL, 't'},
                                         {"wait-console", required_argument, NULL, 'w'},
                                         {"wait-agent", no_argument, NULL, 'a'},
                                         {"timeout", required_argument, NULL, 'T'},
                                         {"memory-dir", required_argument, NULL, 'M'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    unsigned timeout = 300;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'x': a->xml_file = optarg; break;
        case 'f': a->from = optarg; break;
        case 'k': a->kernel = optarg; break;
        case 'i': a->initrd = optarg; break;
        case 'l': a->cmdline = optarg; break;
        case 't': a->virt_type = optarg; break;
        case 'w': a->save.wait_console = optarg; break;
        case 'a': a->save.wait_agent = true; break;
        case 'M': a->memory_dir = optarg; break;
        case 'm':
            if (vt_cli_uint(cli, "--memory", optarg, &a->memory_mib, err) < 0)
                return -1;
            break;
        case 'v':
            if (vt_cli_uint(cli, "--vcpus", optarg, &a->vcpus, err) < 0)
                return -1;
            break;
        case 'T':
            if (vt_cli_uint(cli, "--timeout", optarg, &timeout, err) < 0)
                return -1;
            break;
        case 'h': return vt_cli_help(cli) + 1;
        case ':': return vt_cli_usage(cli, err, "option '%s' needs a value", argv[optind - 1]);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    a->save.timeout_s = (int)timeout;
    if (optind < argc)
        a->name = argv[optind++];
    if (optind < argc)
        return vt_cli_usage(cli, err, "create: unexpected argument '%s'", argv[optind]);
    return vt_create_check(cli, a, err);
}

/* The one thing worth a warning even with --quiet: this template is lost
 * at the next host reboot. */
static void vt_create_warn_volatile(const struct vt_cli *cli, const char *name)
{
    struct vt_template_info info;
    vt_autoerror vt_error_t ignored = NULL;
    if (vt_template_describe(cli->conn, cli->dirs, name, &info, &ignored) < 0)
        return;
    if (info.memory_volatile)
        fprintf(stderr,
                "virt-template: warning: template '%s' keeps its memory on tmpfs ('%s'): it does "
                "not survive a host reboot\n",
                name, info.memory_path);
    vt_template_info_clear(&info);
}

int vt_cmd_create(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    struct vt_create_args a = {.cmdline = "console=ttyS0 quiet panic=-1",
                               .virt_type = "kvm",
                               .memory_mib = 256,
                               .vcpus = 1};
    int rc = vt_create_parse(cli, argc, argv, &a, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    /* Bad input is refused before anything else happens, libvirt included. */
    if (vt_name_validate(a.name, "template", err) < 0)
        return -1;
    vt_autofree char *source = a.from ? NULL : vt_create_source(cli, &a, err);
    if ((!a.from && source == NULL) || vt_cli_connect(cli, err) < 0)
        return -1;
    if (a.from && (source = vt_create_source(cli, &a, err)) == NULL)
        return -1;
    vt_autofree char *memory_dir = a.memory_dir ? realpath(a.memory_dir, NULL) : NULL;
    if (a.memory_dir && memory_dir == NULL)
        return vt_error_set(err, errno, "memory directory '%s'", a.memory_dir);
    struct vt_template_source src = {.xml = source, .domain = a.from, .memory_dir = memory_dir};
    struct vt_template_notes notes = {0};
    if (vt_template_create(cli->conn, cli->dirs, a.name, &src, &notes, err) < 0)
        return -1;
    vt_create_warn_volatile(cli, a.name);
    if (notes.balloon_removed)
        vt_cli_note(cli,
                    "Template '%s' has no memballoon: a balloon would free pages its clones share",
                    a.name);
    vt_cli_note(cli, "Template '%s' started", a.name);
    if (a.save.wait_console == NULL && !a.save.wait_agent)
        return 0;
    struct vt_progress progress;
    vt_cli_progress_begin(cli, &progress, a.save.timeout_s);
    a.save.progress = &progress;
    rc = vt_template_save(cli->conn, cli->dirs, a.name, &a.save, err);
    vt_cli_progress_end(cli);
    if (rc < 0) {
        /* One command, one outcome: a template that never got ready is gone. */
        vt_autoerror vt_error_t ignored = NULL;
        vt_template_delete(cli->conn, cli->dirs, a.name, true, &ignored);
        return -1;
    }
    vt_cli_note(cli, "Template '%s' saved", a.name);
    return 0;
}
