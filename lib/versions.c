#include "versions.h"

#include <stdio.h>

void vt_version_format(unsigned long version, char *buf, size_t size)
{
    snprintf(buf, size, "%lu.%lu.%lu", version / 1000000, version / 1000 % 1000, version % 1000);
}

static int vt_versions_refuse(const char *what, unsigned long found, unsigned long min,
                              vt_error_t *err)
{
    char f[32], m[32];
    vt_version_format(found, f, sizeof(f));
    vt_version_format(min, m, sizeof(m));
    return vt_error_set(err, 0, "%s %s is older than %s, the oldest virt-template supports", what,
                        f, m);
}

int vt_versions_check(const struct vt_versions *v, vt_error_t *err)
{
    if (v->library < VT_LIBVIRT_MIN)
        return vt_versions_refuse("the libvirt library", v->library, VT_LIBVIRT_MIN, err);
    if (v->daemon < VT_LIBVIRT_MIN)
        return vt_versions_refuse("libvirtd", v->daemon, VT_LIBVIRT_MIN, err);
    if (v->qemu < VT_QEMU_MIN)
        return vt_versions_refuse("QEMU", v->qemu, VT_QEMU_MIN, err);
    return 0;
}

bool vt_versions_readonly_mapping(const struct vt_versions *v)
{
    return v->qemu >= VT_QEMU_READONLY_MAPPING;
}
