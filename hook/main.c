/* /etc/libvirt/hooks/qemu.d/virt-template: libvirt runs it as
 * `hook DOMAIN OPERATION SUBOPERATION -` with the domain XML on stdin.
 * Domains without virt-template metadata are ignored at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fileio.h"
#include "hook.h"
#include "xml-scan.h"

#define VT_HOOK_STDIN_MAX (16 * 1024 * 1024)

struct vt_hook_handler {
    const char *operation;
    const char *sub_operation;
    int (*run)(const struct vt_hook_call *call, vt_error_t *err);
};

static const struct vt_hook_handler vt_hook_handlers[] = {
    {"prepare", "begin", vt_hook_prepare},
    {"migrate", "begin", vt_hook_migrate},
    {"restore", "begin", vt_hook_restore},
    {"started", "begin", vt_hook_started},
    {"release", "end", vt_hook_release},
};

static const struct vt_hook_handler *vt_hook_find(const char *op, const char *sub)
{
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_hook_handlers); i++)
        if (strcmp(vt_hook_handlers[i].operation, op) == 0 &&
            strcmp(vt_hook_handlers[i].sub_operation, sub) == 0)
            return &vt_hook_handlers[i];
    return NULL;
}

static int vt_hook_run(const struct vt_hook_handler *h, const char *domain, vt_error_t *err)
{
    vt_autofree char *xml = NULL;
    if (vt_fd_read_all(STDIN_FILENO, VT_HOOK_STDIN_MAX, &xml, NULL, err) < 0)
        return -1;
    /* Fast path: most domains on a host have nothing to do with us. */
    const struct vt_dirs *dirs = vt_dirs_default();
    if (!vt_hook_concerns(dirs, xml))
        return 0;
    vt_autofree char *output = NULL;
    struct vt_hook_call call = {.dirs = dirs, .domain = domain, .xml = xml, .output = &output};
    if (vt_xml_scan_metadata(xml, &call.md, err) < 0)
        return -1;
    int rc = h->run(&call, err);
    /* Only restore begin's output replaces the XML; printing nothing passes
     * it on unchanged (hooks.rst). */
    if (rc == 0 && output && (fputs(output, stdout) == EOF || fflush(stdout) == EOF))
        rc = vt_error_set(err, errno, "cannot write the domain XML");
    return rc;
}

int main(int argc, char **argv)
{
    /* Root inside libvirt: nothing from the caller's environment matters. */
    clearenv();
    umask(077);
    if (argc < 4)
        return 0;
    const struct vt_hook_handler *h = vt_hook_find(argv[2], argv[3]);
    if (h == NULL)
        return 0;
    vt_autoerror vt_error_t err = NULL;
    if (vt_hook_run(h, argv[1], &err) < 0) {
        fprintf(stderr, "virt-template: %s\n", err ? err->msg : "unknown error");
        return 1;
    }
    return 0;
}
