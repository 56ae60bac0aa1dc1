/* virt-template --version: our version, then what we run against (the
 * connection of -c) and the features that enables. */
#include <stdio.h>

#include "cli.h"
#include "versions.h"
#include "virt.h"

static void vt_print_version(const char *what, unsigned long version)
{
    char buf[32];
    vt_version_format(version, buf, sizeof(buf));
    printf("%-27s%s\n", what, buf);
}

int vt_cli_version(struct vt_cli *cli, vt_error_t *err)
{
    struct vt_versions v;
    printf("virt-template %s\n", PACKAGE_VERSION);
    /* Opened without vt_cli_connect's version check: an unsupported stack
     * is shown, then refused. */
    if (cli->conn == NULL && (cli->conn = vt_virt_open(cli->uri, err)) == NULL)
        return -1;
    if (vt_virt_versions(cli->conn, &v, err) < 0)
        return -1;
    vt_print_version("libvirt library:", v.library);
    vt_print_version("libvirt daemon:", v.daemon);
    vt_print_version("QEMU:", v.qemu);
    printf("%-27s%s\n", "connection:", cli->uri);
    printf("%-27s%s\n", "device state fd passing:", "yes (libvirt >= 8.2)");
    printf("%-27s%s\n", "readonly template mapping:",
           vt_versions_readonly_mapping(&v) ? "yes (QEMU >= 8.2)"
                                            : "no (needs QEMU >= 8.2; clones open it read-write)");
    return vt_versions_check(&v, err);
}
