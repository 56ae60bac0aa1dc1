/* Finds our metadata element in the domain XML libvirt gives the hook,
 * without an XML parser. The hook runs for every operation of every domain
 * on the host; loading libxml2 (and ICU with it) would cost more than
 * everything else it does. libvirt formats that XML itself, with text and
 * attribute values escaped, so '<' outside a quoted value starts markup.
 * But it dumps the children of <metadata> as given (libxml2's xmlNodeDump):
 * another application's element there keeps its comments, CDATA and nested
 * elements of any namespace, and a prefix may be declared on <metadata>
 * itself. So the scan walks <metadata>'s tags and takes our element only as
 * its direct child, as /domain/metadata/vt:template does with libxml2
 * (vt_xml_read_metadata). A malformed tag there is an error. */
#include <stdbool.h>
#include <string.h>

#include "names.h"
#include "xml-scan.h"
#include "xml-tokens.h"


/* Is a the declaration of PREFIX: xmlns:PREFIX, or xmlns if prefix_len is 0? */
static bool vt_scan_is_decl(const struct vt_scan_attr *a, const char *prefix, size_t prefix_len)
{
    if (prefix_len == 0)
        return vt_scan_is(a->name, a->name_len, "xmlns");
    return a->name_len == 6 + prefix_len && strncmp(a->name, "xmlns:", 6) == 0 &&
           strncmp(a->name + 6, prefix, prefix_len) == 0;
}

/* Does el declare PREFIX to be our namespace? *declared says whether it
 * declares PREFIX at all. */
static bool vt_scan_declares_ours(const struct vt_scan_elem *el, const char *prefix,
                                  size_t prefix_len, bool *declared)
{
    const char *p = el->attrs;
    struct vt_scan_attr a;
    while (vt_scan_next_attr(&p, &a))
        if (vt_scan_is_decl(&a, prefix, prefix_len)) {
            *declared = true;
            return vt_scan_is(a.value, a.value_len, VT_XML_NS);
        }
    return false;
}

/* Is el, a child of <metadata>, our <template> element? Its prefix is
 * declared on el or, as libvirt moves declarations there, on <metadata>. */
static bool vt_scan_is_ours(const struct vt_scan_elem *el, const struct vt_scan_elem *metadata)
{
    const char *colon = memchr(el->name, ':', el->name_len);
    size_t prefix_len = colon ? (size_t)(colon - el->name) : 0;
    const char *local = colon ? colon + 1 : el->name;
    if (!vt_scan_is(local, el->name_len - (size_t)(local - el->name), "template"))
        return false;
    bool declared = false;
    bool ours = vt_scan_declares_ours(el, el->name, prefix_len, &declared);
    return declared ? ours : vt_scan_declares_ours(metadata, el->name, prefix_len, &declared);
}

/* Role and name from the attributes of our element. */
static int vt_scan_tag(const struct vt_scan_elem *el, struct vt_xml_metadata *md, vt_error_t *err)
{
    struct vt_scan_attr a, role = {0}, name = {0};
    const char *p = el->attrs;
    while (vt_scan_next_attr(&p, &a)) {
        if (vt_scan_is(a.name, a.name_len, "role"))
            role = a;
        if (vt_scan_is(a.name, a.name_len, "name"))
            name = a;
    }
    return vt_xml_metadata_set(md, role.value ? role.value : "", role.value_len,
                               name.value ? name.value : "", name.value_len, err);
}

/* The <metadata> start tag: all text before it is escaped, so the first
 * "<metadata" followed by a space, '/' or '>' is the element. */
static const char *vt_scan_find_metadata(const char *xml)
{
    for (const char *p = xml; (p = strstr(p, "<metadata")) != NULL; p++)
        if (p[9] != '\0' && strchr(" \t\r\n/>", p[9]) != NULL)
            return p;
    return NULL;
}

int vt_xml_scan_metadata(const char *xml, struct vt_xml_metadata *md, vt_error_t *err)
{
    memset(md, 0, sizeof(*md));
    struct vt_scan_elem metadata, el;
    const char *p = vt_scan_find_metadata(xml);
    if (p && (p = vt_scan_elem(p, &metadata)) == NULL)
        return vt_error_set(err, 0, "virt-template metadata: malformed element");
    /* depth counts the elements open inside <metadata>. */
    for (int depth = 0; p && !metadata.empty && (p = strchr(p, '<')) != NULL;) {
        const char *end;
        if (p[1] == '!' || p[1] == '?') {
            end = vt_scan_skip_markup(p);
        } else if (p[1] == '/') {
            if (depth-- == 0)
                return 0; /* </metadata> */
            end = p + 2;
        } else {
            end = vt_scan_elem(p, &el);
            if (end && depth == 0 && vt_scan_is_ours(&el, &metadata))
                return vt_scan_tag(&el, md, err);
            if (end && !el.empty)
                depth++;
        }
        if (end == NULL)
            return vt_error_set(err, 0, "virt-template metadata: malformed element");
        p = end;
    }
    return 0;
}

/* Longest attribute value looked at: a mem-path argument is far shorter.
 * The bound keeps the scan linear in the XML's size whatever it holds (the
 * hook reads up to 16 MiB and must answer promptly). */
#define VT_SCAN_ARG_MAX 4096

/* Bounds of the attribute value around `at` ('...' or "..."), or false.
 * The opening quote is looked for back to `floor` only. */
static bool vt_scan_enclosing_value(const char *floor, const char *at, const char **start,
                                    const char **end)
{
    const char *p = at;
    if (at - floor > VT_SCAN_ARG_MAX)
        floor = at - VT_SCAN_ARG_MAX;
    while (p > floor && p[-1] != '"' && p[-1] != '\'' && p[-1] != '<' && p[-1] != '>')
        p--;
    if (p == floor || (p[-1] != '"' && p[-1] != '\''))
        return false;
    const char *q = memchr(at, p[-1], strnlen(at, VT_SCAN_ARG_MAX));
    if (q == NULL)
        return false;
    *start = p;
    *end = q;
    return true;
}

/* The file path that follows a mem-path key at `key` (which points just
 * after "mem-path"), in QEMU's key=value syntax (mem-path=PATH,...) or its
 * JSON syntax as libvirt escapes it in an attribute (&quot;mem-path&quot;:
 * &quot;PATH&quot;), up to `end`. Copied into out; false if none. */
static bool vt_scan_mem_path(const char *key, const char *end, char out[VT_SCAN_ARG_MAX])
{
    /* libvirt escapes every quote inside an attribute value as &quot;. */
    static const char *const openers[] = {"=", "&quot;:&quot;", "&quot;: &quot;"};
    for (size_t i = 0; i < sizeof(openers) / sizeof(openers[0]); i++) {
        size_t olen = strlen(openers[i]);
        if ((size_t)(end - key) <= olen || strncmp(key, openers[i], olen) != 0)
            continue;
        const char *path = key + olen;
        char stop = i == 0 ? ',' : '&';
        size_t len = 0;
        while (path + len < end && path[len] != stop)
            len++;
        if (len == 0 || len >= VT_SCAN_ARG_MAX)
            return false;
        memcpy(out, path, len);
        out[len] = '\0';
        return true;
    }
    return false;
}

/* share=on in QEMU's key=value syntax, or "share": true in its JSON syntax
 * (escaped inside an XML attribute), within [start, end). */
static bool vt_scan_value_shares(const char *start, const char *end)
{
    static const char *const forms[] = {"share=on", "&quot;share&quot;:true",
                                        "&quot;share&quot;: true", "\"share\":true"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
        if (memmem(start, (size_t)(end - start), forms[i], strlen(forms[i])) != NULL)
            return true;
    return false;
}

int vt_xml_scan_shared_mappings(const char *xml, int (*found)(const char *path, void *data),
                                void *data)
{
    static const char key[] = "mem-path";
    /* Each byte is looked at a bounded number of times: no scan goes back
     * past the previous mention, and an examined value is skipped whole. */
    const char *floor = xml;
    for (const char *p = xml; (p = strstr(p, key)) != NULL; floor = p) {
        const char *start, *end;
        char path[VT_SCAN_ARG_MAX];
        bool in_value = vt_scan_enclosing_value(floor, p, &start, &end);
        if (in_value && vt_scan_mem_path(p + sizeof(key) - 1, end, path) &&
            vt_scan_value_shares(start, end) && found(path, data) < 0)
            return -1;
        p = in_value ? end : p + sizeof(key) - 1;
    }
    return 0;
}
