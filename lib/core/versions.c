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

int vt_versions_check_readonly_mapping(const struct vt_versions *v, const char *name,
                                       vt_error_t *err)
{
    if (vt_versions_readonly_mapping(v))
        return 0;
    char found[32], need[32];
    vt_version_format(v->qemu, found, sizeof(found));
    vt_version_format(VT_QEMU_READONLY_MAPPING, need, sizeof(need));
    return vt_error_set(err, 0,
                        "template '%s' was sealed read-only for QEMU >= %s; QEMU %s cannot "
                        "map it (create the template again)",
                        name, need, found);
}
