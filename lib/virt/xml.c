#include "xml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include "cleanup.h"
#include "names.h"
#include "xml-internal.h"

/* Parse errors go to our error, not libxml2's default stderr printer. */
static void vt_xml_silence(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int vt_xml_open(const char *text, struct vt_xml *x, vt_error_t *err)
{
    memset(x, 0, sizeof(*x));
    size_t len = strlen(text);
    if (len > VT_XML_MAX_SIZE)
        return vt_error_set(err, 0, "domain XML is larger than %d bytes", VT_XML_MAX_SIZE);
    xmlSetGenericErrorFunc(NULL, vt_xml_silence);
    x->doc = xmlReadMemory(text, (int)len, "domain.xml", NULL,
                           XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                               XML_PARSE_NOWARNING);
    if (x->doc == NULL)
        return vt_error_set(err, 0, "malformed XML: %s",
                            xmlGetLastError() ? xmlGetLastError()->message : "parse error");
    xmlNodePtr root = xmlDocGetRootElement(x->doc);
    if (root == NULL || root->ns != NULL || strcmp((const char *)root->name, "domain") != 0) {
        vt_xml_close(x);
        return vt_error_set(err, 0, "XML is not a libvirt <domain> definition");
    }
    x->ctx = xmlXPathNewContext(x->doc);
    if (x->ctx == NULL || xmlXPathRegisterNs(x->ctx, BAD_CAST "qemu", BAD_CAST VT_XML_QEMU_NS) ||
        xmlXPathRegisterNs(x->ctx, BAD_CAST VT_XML_NS_PREFIX, BAD_CAST VT_XML_NS)) {
        vt_xml_close(x);
        return vt_error_nomem(err);
    }
    return 0;
}

void vt_xml_close(struct vt_xml *x)
{
    if (x->ctx)
        xmlXPathFreeContext(x->ctx);
    if (x->doc)
        xmlFreeDoc(x->doc);
    x->ctx = NULL;
    x->doc = NULL;
}

int vt_xml_dump(struct vt_xml *x, char **out, vt_error_t *err)
{
    xmlChar *mem = NULL;
    int size = 0;
    /* Dump the root element only: no <?xml?> declaration, as virsh prints. */
    xmlBufferPtr buf = xmlBufferCreate();
    if (buf == NULL || xmlNodeDump(buf, x->doc, xmlDocGetRootElement(x->doc), 0, 1) < 0) {
        xmlBufferFree(buf);
        return vt_error_nomem(err);
    }
    size = xmlBufferLength(buf);
    mem = (xmlChar *)malloc((size_t)size + 2);
    if (mem) {
        memcpy(mem, xmlBufferContent(buf), (size_t)size);
        mem[size] = '\n';
        mem[size + 1] = '\0';
    }
    xmlBufferFree(buf);
    if (mem == NULL)
        return vt_error_nomem(err);
    *out = (char *)mem;
    return 0;
}

xmlNodeSetPtr vt_xml_find(struct vt_xml *x, const char *expr, xmlXPathObjectPtr *keep)
{
    *keep = xmlXPathEvalExpression(BAD_CAST expr, x->ctx);
    if (*keep == NULL || (*keep)->nodesetval == NULL || (*keep)->nodesetval->nodeNr == 0)
        return NULL;
    return (*keep)->nodesetval;
}

void vt_xml_free_result(xmlXPathObjectPtr *obj)
{
    if (*obj)
        xmlXPathFreeObject(*obj);
    *obj = NULL;
}

xmlNodePtr vt_xml_find_one(struct vt_xml *x, const char *expr)
{
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(x, expr, &res);
    return set ? set->nodeTab[0] : NULL;
}

void vt_xml_remove_all(struct vt_xml *x, const char *expr)
{
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(x, expr, &res);
    for (int i = 0; set && i < set->nodeNr; i++) {
        xmlNodePtr node = set->nodeTab[i];
        if (node->type == XML_ATTRIBUTE_NODE) {
            xmlRemoveProp((xmlAttrPtr)node);
        } else {
            xmlUnlinkNode(node);
            xmlFreeNode(node);
        }
        set->nodeTab[i] = NULL;
    }
}

xmlNodePtr vt_xml_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns == NULL &&
            strcmp((const char *)c->name, name) == 0)
            return c;
    return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

int vt_xml_set_text(xmlNodePtr node, const char *text, vt_error_t *err)
{
    if (node == NULL)
        return vt_error_nomem(err);
    if (node->type == XML_ATTRIBUTE_NODE) {
        xmlAttrPtr attr = (xmlAttrPtr)node;
        if (xmlSetNsProp(attr->parent, attr->ns, attr->name, BAD_CAST text) == NULL)
            return vt_error_nomem(err);
        return 0;
    }
    xmlNodeSetContent(node, NULL);
    xmlNodeAddContent(node, BAD_CAST text); /* escapes &, <, > */
    return 0;
}

struct vt_unit {
    const char *name;
    uint64_t factor;
};

static const struct vt_unit vt_memory_units[] = {
    {"b", 1},
    {"bytes", 1},
    {"k", 1024},
    {"KiB", 1024},
    {"KB", 1000},
    {"M", 1024 * 1024},
    {"MiB", 1024 * 1024},
    {"MB", 1000 * 1000},
    {"G", 1ULL << 30},
    {"GiB", 1ULL << 30},
    {"GB", 1000000000ULL},
    {"T", 1ULL << 40},
    {"TiB", 1ULL << 40},
    {"TB", 1000000000000ULL},
};

int vt_xml_memory_bytes(struct vt_xml *x, uint64_t *bytes, vt_error_t *err)
{
    xmlNodePtr mem = vt_xml_find_one(x, "/domain/memory");
    if (mem == NULL)
        return vt_error_set(err, 0, "domain XML has no <memory> element");
    vt_autofree char *unit = (char *)xmlGetProp(mem, BAD_CAST "unit");
    vt_autofree char *text = (char *)xmlNodeGetContent(mem);
    uint64_t factor = unit ? 0 : 1024; /* libvirt's default unit is KiB */
    for (size_t i = 0; unit && i < VT_N_ELEMENTS(vt_memory_units); i++)
        if (strcasecmp(unit, vt_memory_units[i].name) == 0)
            factor = vt_memory_units[i].factor;
    if (factor == 0)
        return vt_error_set(err, 0, "unknown memory unit '%s'", unit);
    char *end = NULL;
    errno = 0;
    unsigned long long n = text ? strtoull(text, &end, 10) : 0;
    /* strtoull takes "-1" as 2^64-1; the page rounding below must not wrap. */
    if (text == NULL || end == text || *end != '\0' || errno != 0 || n == 0 ||
        strchr(text, '-') != NULL || n > (UINT64_MAX - 4095) / factor)
        return vt_error_set(err, 0, "invalid <memory> value '%s'", text ? text : "");
    /* QEMU rounds RAM to whole pages; libvirt rounds to KiB. */
    *bytes = ((n * factor + 4095) / 4096) * 4096;
    return 0;
}

int vt_xml_set_metadata(struct vt_xml *x, enum vt_role role, const char *template_name,
                        vt_error_t *err)
{
    vt_xml_remove_all(x, "/domain/metadata/vt:template");
    xmlNodePtr meta = vt_xml_child(xmlDocGetRootElement(x->doc), "metadata");
    xmlNodePtr el = meta ? xmlNewChild(meta, NULL, BAD_CAST "template", NULL) : NULL;
    xmlNsPtr ns = el ? xmlNewNs(el, BAD_CAST VT_XML_NS, BAD_CAST VT_XML_NS_PREFIX) : NULL;
    if (ns == NULL)
        return vt_error_nomem(err);
    xmlSetNs(el, ns);
    if (xmlSetProp(el, BAD_CAST "role", BAD_CAST vt_role_name(role)) == NULL ||
        xmlSetProp(el, BAD_CAST "name", BAD_CAST template_name) == NULL)
        return vt_error_nomem(err);
    return 0;
}

xmlNodePtr vt_xml_qemu_commandline(struct vt_xml *x)
{
    xmlNodePtr found = vt_xml_find_one(x, "/domain/qemu:commandline");
    if (found)
        return found;
    xmlNodePtr root = xmlDocGetRootElement(x->doc);
    xmlNsPtr ns = xmlSearchNsByHref(x->doc, root, BAD_CAST VT_XML_QEMU_NS);
    if (ns == NULL)
        ns = xmlNewNs(root, BAD_CAST VT_XML_QEMU_NS, BAD_CAST "qemu");
    return ns ? xmlNewChild(root, ns, BAD_CAST "commandline", NULL) : NULL;
}

int vt_xml_qemu_add_arg(xmlNodePtr cmdline, const char *value, vt_error_t *err)
{
    xmlNodePtr arg = cmdline ? xmlNewChild(cmdline, cmdline->ns, BAD_CAST "arg", NULL) : NULL;
    if (arg == NULL || xmlSetProp(arg, BAD_CAST "value", BAD_CAST value) == NULL)
        return vt_error_nomem(err);
    return 0;
}

/* Values of the second half of each pair we add; the first half is the
 * option (-object, -machine, ...) just before it. */
static const char *const vt_our_arg_prefixes[] = {
    "memory-backend-file,id=vt-ram,",
    "memory-backend=vt-ram",
    "migration.store-global-state=off",
    "socket,id=vt-qmp,",
    "chardev=vt-qmp,",
    "defer",
};

static bool vt_xml_arg_is_ours(const char *value)
{
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_our_arg_prefixes); i++)
        if (strncmp(value, vt_our_arg_prefixes[i], strlen(vt_our_arg_prefixes[i])) == 0)
            return true;
    return false;
}

void vt_xml_qemu_strip_ours(struct vt_xml *x)
{
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(x, "/domain/qemu:commandline/qemu:arg", &res);
    for (int i = 1; set && i < set->nodeNr; i++) {
        vt_autofree char *value = (char *)xmlGetProp(set->nodeTab[i], BAD_CAST "value");
        if (value == NULL || set->nodeTab[i - 1] == NULL || !vt_xml_arg_is_ours(value))
            continue;
        for (int j = i - 1; j <= i; j++) {
            xmlUnlinkNode(set->nodeTab[j]);
            xmlFreeNode(set->nodeTab[j]);
            set->nodeTab[j] = NULL;
        }
    }
    xmlNodePtr cmdline = vt_xml_find_one(x, "/domain/qemu:commandline");
    if (cmdline && xmlFirstElementChild(cmdline) == NULL) {
        xmlUnlinkNode(cmdline);
        xmlFreeNode(cmdline);
    }
}

/* readonly=on,rom=off (QEMU >= 8.2): QEMU opens the file O_RDONLY and maps
 * it MAP_PRIVATE writable, so the guest runs as before while the file cannot
 * be written through this QEMU at all. */
static const char *const vt_ram_mapping_options[] = {
    [VT_RAM_SHARED] = "share=on",
    [VT_RAM_PRIVATE] = "share=off",
    [VT_RAM_PRIVATE_READONLY] = "share=off,readonly=on,rom=off",
};
_Static_assert(VT_N_ELEMENTS(vt_ram_mapping_options) == VT_RAM_MAPPING_LAST,
               "vt_ram_mapping_options must cover enum vt_ram_mapping");

int vt_xml_qemu_add_ram(xmlNodePtr cmdline, uint64_t bytes, const char *mem_path,
                        enum vt_ram_mapping mapping, vt_error_t *err)
{
    vt_autofree char *object = NULL;
    if (asprintf(&object, "memory-backend-file,id=vt-ram,size=%llu,mem-path=%s,%s",
                 (unsigned long long)bytes, mem_path, vt_ram_mapping_options[mapping]) < 0)
        return vt_error_nomem(err);
    /* A later -machine overrides libvirt's memory-backend=pc.ram; the unused
     * pc.ram object costs nothing. store-global-state=off: the clone would
     * otherwise resume into "paused" after libvirt's early cont
     * (docs/design.md, Traps: global state). */
    if (vt_xml_qemu_add_arg(cmdline, "-object", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, object, err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "-machine", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "memory-backend=vt-ram", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "-global", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "migration.store-global-state=off", err) < 0)
        return -1;
    return 0;
}

char *vt_xml_renamed_file_path(const char *path, const char *old_name, const char *new_name)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    int dir_len = (int)(base - path);
    size_t tlen = strlen(old_name);
    char *out = NULL;
    if (strncmp(base, old_name, tlen) == 0 &&
        (base[tlen] == '\0' || strchr("._-", base[tlen]) != NULL)) {
        if (asprintf(&out, "%.*s%s%s", dir_len, path, new_name, base + tlen) < 0)
            out = NULL;
    } else if (asprintf(&out, "%.*s%s-%s", dir_len, path, new_name, base) < 0) {
        out = NULL;
    }
    return out;
}

/* Files a running domain writes: each domain gets its own. */
static const char *const vt_domain_file_exprs =
    "/domain/devices/*[@type='file']/source/@path | /domain/devices/*/log/@file";

int vt_xml_rename_files(struct vt_xml *x, const char *old_name, const char *new_name,
                        vt_error_t *err)
{
    vt_autoxpath xmlXPathObjectPtr res = NULL;
    xmlNodeSetPtr set = vt_xml_find(x, vt_domain_file_exprs, &res);
    for (int i = 0; set && i < set->nodeNr; i++) {
        vt_autofree char *old = (char *)xmlNodeGetContent(set->nodeTab[i]);
        vt_autofree char *new = old ? vt_xml_renamed_file_path(old, old_name, new_name) : NULL;
        if (new == NULL || vt_xml_set_text(set->nodeTab[i], new, err) < 0)
            return vt_error_nomem(err);
    }
    return 0;
}

static int vt_xml_metadata_from_node(xmlNodePtr el, struct vt_xml_metadata *md, vt_error_t *err)
{
    vt_autofree char *role = (char *)xmlGetProp(el, BAD_CAST "role");
    vt_autofree char *name = (char *)xmlGetProp(el, BAD_CAST "name");
    return vt_xml_metadata_set(md, role ? role : "", role ? strlen(role) : 0, name ? name : "",
                               name ? strlen(name) : 0, err);
}

int vt_xml_read_metadata(const char *xml, struct vt_xml_metadata *md, vt_error_t *err)
{
    memset(md, 0, sizeof(*md));
    vt_autoxml struct vt_xml x = {0};
    if (vt_xml_open(xml, &x, err) < 0)
        return -1;
    xmlNodePtr el = vt_xml_find_one(&x, "/domain/metadata/vt:template");
    return el ? vt_xml_metadata_from_node(el, md, err) : 0;
}

int vt_xml_read_metadata_element(const char *element, struct vt_xml_metadata *md, vt_error_t *err)
{
    memset(md, 0, sizeof(*md));
    xmlDocPtr doc = xmlReadMemory(element, (int)strlen(element), "metadata.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    int rc = root && strcmp((const char *)root->name, "template") == 0
                 ? vt_xml_metadata_from_node(root, md, err)
                 : vt_error_set(err, 0, "virt-template metadata is not a <template> element");
    xmlFreeDoc(doc);
    return rc;
}
