/* libFuzzer harness for the hook's XML reader (lib/xml-scan.c):
 * vt_xml_scan_metadata and vt_xml_scan_shared_mappings must survive any
 * input (ASan/UBSan watch). And as the scanner only promises to read XML
 * that libvirt formatted, each input that libxml2 parses as a domain is
 * first formatted the way libvirt hands it to the hook (checked against
 * `virsh -c test:///default dumpxml`); on that text the scanner must agree
 * with the libxml2 reader, vt_xml_read_metadata: both fail, or both give
 * the same role and template name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "input.h"
#include "names.h"
#include "xml.h"
#include "xml-scan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void vt_fuzz_silence(void *ctx, const char *msg, ...)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, vt_fuzz_silence);
    /* libvirt indents the metadata it formats (virDomainDefFormatInternal). */
    xmlIndentTreeOutput = 1;
    return 0;
}

static int vt_fuzz_same_ns(xmlNodePtr a, xmlNodePtr b)
{
    return a->ns && a->ns->href && b->ns && b->ns->href &&
           strcmp((const char *)a->ns->href, (const char *)b->ns->href) == 0;
}

/* What libvirt's virXMLNodeSanitizeNamespaces does to its copy of
 * <metadata>: children without a namespace go (text too), and so does every
 * child after the first of each namespace. */
static void vt_fuzz_sanitize(xmlNodePtr meta)
{
    xmlNodePtr child = meta->children;
    while (child) {
        xmlNodePtr next = child->next;
        if (child->ns == NULL || child->ns->href == NULL) {
            xmlUnlinkNode(child);
            xmlFreeNode(child);
            child = next;
            continue;
        }
        for (xmlNodePtr n = child->next; n;) {
            xmlNodePtr after = n->next;
            if (vt_fuzz_same_ns(child, n)) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            }
            n = after;
        }
        child = child->next;
    }
}

/* A copy of text if libxml2 parses it, else NULL. */
static char *vt_fuzz_if_xml(const char *text)
{
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "formatted.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    char *copy = doc ? strdup(text) : NULL;
    xmlFreeDoc(doc);
    return copy;
}

/* The first <metadata> child of a <domain> root, as libvirt's
 * "./metadata[1]" finds it; NULL if none. */
static xmlNodePtr vt_fuzz_find_metadata(xmlDocPtr doc)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL || root->ns || strcmp((const char *)root->name, "domain") != 0)
        return NULL;
    for (xmlNodePtr n = root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && n->ns == NULL &&
            strcmp((const char *)n->name, "metadata") == 0)
            return n;
    return NULL;
}

/* The domain as libvirt would give it to the hook: libvirt formats every
 * other element itself (escaped, no comments) and dumps a sanitized copy of
 * <metadata> with xmlNodeDump. NULL if the input is no such domain, or if
 * the result is not XML (xmlNodeDump writes namespace URIs unescaped). */
static char *vt_fuzz_format_like_libvirt(const char *text, size_t len)
{
    xmlDocPtr doc = xmlReadMemory(text, (int)len, "fuzz.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    xmlNodePtr meta = vt_fuzz_find_metadata(doc);
    /* libvirt copies the node out of its document (namespaces declared
     * above it move onto the copy) before it sanitizes it. */
    xmlNodePtr copy = meta ? xmlCopyNode(meta, 1) : NULL;
    xmlBufferPtr buf = copy ? xmlBufferCreate() : NULL;
    char *out = NULL;
    if (buf) {
        vt_fuzz_sanitize(copy);
        xmlBufferCCat(buf, "<domain type='kvm'>\n  <name>fuzz</name>\n  ");
        if (xmlNodeDump(buf, NULL, copy, 1, 1) >= 0) {
            xmlBufferCCat(buf, "\n  <memory unit='KiB'>262144</memory>\n</domain>\n");
            out = vt_fuzz_if_xml((const char *)xmlBufferContent(buf));
        }
    }
    xmlBufferFree(buf);
    xmlFreeNode(copy);
    xmlFreeDoc(doc);
    return out;
}

static const char *vt_fuzz_outcome(int rc, const struct vt_xml_metadata *md, const vt_error_t err)
{
    static char text[160];
    static const char *const roles[] = {"none", "template", "clone"};
    if (rc < 0)
        snprintf(text, sizeof(text), "error (%s)", err ? err->msg : "no message");
    else
        snprintf(text, sizeof(text), "%s '%s'", roles[md->role], md->template_name);
    return text;
}

static void vt_fuzz_differential(const char *xml)
{
    struct vt_xml_metadata scanned, parsed;
    vt_error_t scan_err = NULL, parse_err = NULL;
    int scan_rc = vt_xml_scan_metadata(xml, &scanned, &scan_err);
    int parse_rc = vt_xml_read_metadata(xml, &parsed, &parse_err);
    int agree = scan_rc < 0 ? parse_rc < 0
                            : parse_rc == 0 && scanned.role == parsed.role &&
                                  strcmp(scanned.template_name, parsed.template_name) == 0;
    if (!agree) {
        fprintf(stderr, "xml-scan: readers disagree on this libvirt-formatted XML:\n%s", xml);
        fprintf(stderr, "scanner: %s\n", vt_fuzz_outcome(scan_rc, &scanned, scan_err));
        fprintf(stderr, "libxml2: %s\n", vt_fuzz_outcome(parse_rc, &parsed, parse_err));
        abort();
    }
    vt_error_free(&scan_err);
    vt_error_free(&parse_err);
}

/* The hook builds store paths from the names it is given. */
static int vt_fuzz_check_mapping(const char *path, void *data)
{
    /* The hook stats this path: it must be a bounded, non-empty string. */
    size_t len = strlen(path);
    if (len == 0 || len >= 4096)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The hook reads stdin into a NUL-terminated string. */
    char *text = vt_fuzz_cstring(data, size);
    if (text == NULL)
        return 0;

    struct vt_xml_metadata md;
    vt_error_t err = NULL;
    if (vt_xml_scan_metadata(text, &md, &err) < 0 && (err == NULL || err->msg == NULL))
        abort(); /* a failure must say why */
    else if (err == NULL && md.role != VT_ROLE_NONE &&
             vt_name_validate(md.template_name, "template", &err) < 0)
        abort(); /* the hook builds paths from this name */
    vt_error_free(&err);
    if (vt_xml_scan_shared_mappings(text, vt_fuzz_check_mapping, NULL) != 0)
        abort(); /* only the callback can stop it */

    char *formatted = vt_fuzz_format_like_libvirt(text, strlen(text));
    if (formatted)
        vt_fuzz_differential(formatted);
    free(formatted);
    free(text);
    return 0;
}
