#include "xml-metadata.h"

#include <string.h>

#include "cleanup.h"

static const char *const vt_role_names[] = {
    [VT_ROLE_NONE] = "",
    [VT_ROLE_TEMPLATE] = "template",
    [VT_ROLE_CLONE] = "clone",
};
_Static_assert(VT_N_ELEMENTS(vt_role_names) == VT_ROLE_LAST,
               "vt_role_names must cover enum vt_role");

const char *vt_role_name(enum vt_role role)
{
    return role < VT_ROLE_LAST ? vt_role_names[role] : "";
}

static enum vt_role vt_role_parse(const char *s, size_t len)
{
    for (int r = VT_ROLE_TEMPLATE; r < VT_ROLE_LAST; r++)
        if (len == strlen(vt_role_names[r]) && strncmp(s, vt_role_names[r], len) == 0)
            return (enum vt_role)r;
    return VT_ROLE_NONE;
}

int vt_xml_metadata_set(struct vt_xml_metadata *md, const char *role, size_t role_len,
                        const char *name, size_t name_len, vt_error_t *err)
{
    char name_copy[VT_NAME_MAX + 2];
    memset(md, 0, sizeof(*md));
    md->role = vt_role_parse(role, role_len);
    if (md->role == VT_ROLE_NONE)
        return vt_error_set(err, 0, "virt-template metadata has an unknown role '%.*s'",
                            (int)(role_len > 32 ? 32 : role_len), role);
    /* One character too many is enough for the length check to refuse it. */
    size_t n = name_len > VT_NAME_MAX + 1 ? VT_NAME_MAX + 1 : name_len;
    memcpy(name_copy, name, n);
    name_copy[n] = '\0';
    int rc = memchr(name, '\0', name_len) != NULL ? vt_error_set(err, 0, "invalid template name")
                                                  : vt_name_validate(name_copy, "template", err);
    if (rc < 0) {
        md->role = VT_ROLE_NONE;
        return vt_error_prefix(err, "virt-template metadata");
    }
    strcpy(md->template_name, name_copy);
    return 0;
}
