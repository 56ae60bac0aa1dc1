/* Finds our metadata element in the domain XML libvirt gives the hook,
 * without an XML parser. The hook runs for every operation of every domain
 * on the host; loading libxml2 (and ICU with it) would cost more than
 * everything else it does. libvirt formats that XML itself, so it has no
 * comments, CDATA or raw '<' in text: a strict scan of one start tag is
 * enough, and anything unexpected in our element is an error. */
#include <stdbool.h>
#include <string.h>

#include "names.h"
#include "xml.h"

#define VT_SCAN_VALUE_MAX 128

struct vt_scan_attr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

static const char *vt_scan_skip_space(const char *p)
{
    return p + strspn(p, " \t\r\n");
}

/* Reads name="value" or name='value' at p; returns the end, NULL if none. */
static const char *vt_scan_attr(const char *p, struct vt_scan_attr *a)
{
    a->name = p;
    a->name_len = strcspn(p, "= \t\r\n/><\"'");
    if (a->name_len == 0)
        return NULL;
    p = vt_scan_skip_space(p + a->name_len);
    if (*p != '=')
        return NULL;
    p = vt_scan_skip_space(p + 1);
    char quote = *p;
    if (quote != '"' && quote != '\'')
        return NULL;
    a->value = p + 1;
    const char *end = strchr(a->value, quote);
    if (end == NULL || memchr(a->value, '<', (size_t)(end - a->value)) != NULL)
        return NULL;
    a->value_len = (size_t)(end - a->value);
    return end + 1;
}

static bool vt_scan_is(const char *s, size_t len, const char *word)
{
    return len == strlen(word) && strncmp(s, word, len) == 0;
}

static int vt_scan_store(const struct vt_scan_attr *a, char *out, vt_error_t *err)
{
    if (a->value_len >= VT_SCAN_VALUE_MAX)
        return vt_error_set(err, 0, "virt-template metadata: attribute value too long");
    memcpy(out, a->value, a->value_len);
    out[a->value_len] = '\0';
    return 0;
}

/* Role and name from the attributes of our start tag, which begins at tag. */
static int vt_scan_tag(const char *tag, struct vt_xml_metadata *md, vt_error_t *err)
{
    char role[VT_SCAN_VALUE_MAX] = "", name[VT_SCAN_VALUE_MAX] = "";
    const char *p = tag + 1 + strcspn(tag + 1, " \t\r\n/>");
    for (;;) {
        struct vt_scan_attr a;
        p = vt_scan_skip_space(p);
        if (*p == '/' || *p == '>')
            break;
        if ((p = vt_scan_attr(p, &a)) == NULL)
            return vt_error_set(err, 0, "virt-template metadata: malformed element");
        if (vt_scan_is(a.name, a.name_len, "role") && vt_scan_store(&a, role, err) < 0)
            return -1;
        if (vt_scan_is(a.name, a.name_len, "name") && vt_scan_store(&a, name, err) < 0)
            return -1;
    }
    if (strcmp(role, "template") == 0)
        md->role = VT_ROLE_TEMPLATE;
    else if (strcmp(role, "clone") == 0)
        md->role = VT_ROLE_CLONE;
    else
        return vt_error_set(err, 0, "virt-template metadata has an unknown role '%s'", role);
    if (vt_name_validate(name, "template", err) < 0)
        return vt_error_prefix(err, "virt-template metadata");
    strcpy(md->template_name, name);
    return 0;
}

/* Is the start tag at tag "<PREFIX:template" (or "<template" with no
 * prefix), PREFIX being the one the xmlns attribute at decl declares? */
static bool vt_scan_tag_matches(const char *tag, const char *decl)
{
    const char *prefix = decl + strlen("xmlns");
    size_t prefix_len = 0;
    if (*prefix == ':') {
        prefix++;
        prefix_len = strcspn(prefix, "= \t\r\n");
    }
    const char *name = tag + 1;
    if (prefix_len > 0) {
        if (strncmp(name, prefix, prefix_len) != 0 || name[prefix_len] != ':')
            return false;
        name += prefix_len + 1;
    }
    return strncmp(name, "template", 8) == 0 && strchr(" \t\r\n/>", name[8]) != NULL;
}

/* The start tag declaring our namespace with an xmlns attribute inside
 * [from, to), or NULL. */
static const char *vt_scan_find_tag(const char *from, const char *to)
{
    for (const char *p = from; (p = strstr(p, VT_XML_NS)) != NULL && p < to; p++) {
        char quote = p[-1];
        if ((quote != '"' && quote != '\'') || p[strlen(VT_XML_NS)] != quote)
            continue;
        const char *eq = p - 2;
        while (eq > from && strchr(" \t\r\n", *eq))
            eq--;
        const char *tag = eq;
        while (tag > from && *tag != '<' && *tag != '>')
            tag--;
        if (*eq != '=' || *tag != '<')
            continue;
        const char *decl = eq;
        while (decl > tag && !strchr(" \t\r\n", decl[-1]))
            decl--;
        if (strncmp(decl, "xmlns", 5) == 0 && vt_scan_tag_matches(tag, decl))
            return tag;
    }
    return NULL;
}

int vt_xml_scan_metadata(const char *xml, struct vt_xml_metadata *md, vt_error_t *err)
{
    memset(md, 0, sizeof(*md));
    const char *start = strstr(xml, "<metadata>");
    const char *end = start ? strstr(start, "</metadata>") : NULL;
    if (start == NULL || end == NULL)
        return 0;
    const char *tag = vt_scan_find_tag(start, end);
    return tag ? vt_scan_tag(tag, md, err) : 0;
}

/* Bounds of the attribute value around `at` ('...' or "..."), or false. */
static bool vt_scan_enclosing_value(const char *xml, const char *at, const char **start,
                                    const char **end)
{
    const char *p = at;
    while (p > xml && p[-1] != '"' && p[-1] != '\'' && p[-1] != '<' && p[-1] != '>')
        p--;
    if (p == xml || (p[-1] != '"' && p[-1] != '\''))
        return false;
    char quote = p[-1];
    const char *q = strchr(at, quote);
    if (q == NULL)
        return false;
    *start = p;
    *end = q;
    return true;
}

/* share=on in QEMU's key=value syntax, or "share": true in its JSON syntax
 * (escaped inside an XML attribute). */
static bool vt_scan_value_shares(const char *start, const char *end)
{
    static const char *const forms[] = {"share=on", "&quot;share&quot;:true",
                                        "&quot;share&quot;: true", "\"share\":true"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        const char *hit = strstr(start, forms[i]);
        if (hit && hit < end)
            return true;
    }
    return false;
}

int vt_xml_scan_shared_mappings(const char *xml, const char *memdir,
                                int (*found)(const char *template_name, void *data), void *data)
{
    size_t dir_len = strlen(memdir);
    for (const char *p = xml; (p = strstr(p, memdir)) != NULL; p += dir_len) {
        const char *name = p + dir_len, *start, *end;
        if (*name != '/' || !vt_scan_enclosing_value(xml, p, &start, &end))
            continue;
        name++;
        size_t len = strcspn(name, "/\"'&,");
        char template_name[VT_SCAN_VALUE_MAX];
        vt_error_t ignored = NULL;
        if (len == 0 || len >= sizeof(template_name) || strncmp(name + len, "/memory", 7) != 0)
            continue;
        memcpy(template_name, name, len);
        template_name[len] = '\0';
        if (vt_name_validate(template_name, "template", &ignored) < 0) {
            vt_error_free(&ignored);
            continue;
        }
        if (vt_scan_value_shares(start, end) && found(template_name, data) < 0)
            return -1;
    }
    return 0;
}
