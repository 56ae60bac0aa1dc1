/* The few XML tokens the hook reads without a parser: start tags with
 * their attributes, and the markup to skip (comments, CDATA, processing
 * instructions). For XML that libvirt formats: text and attribute values
 * are escaped, so '<' outside a quoted value starts markup. Internal to
 * lib/core (xml-scan.c, xml-shape.c). */
#ifndef VT_XML_TOKENS_H
#define VT_XML_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

struct vt_scan_attr {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

/* A start tag: its qualified name, where its attributes begin, and whether
 * it closes itself (<.../>). */
struct vt_scan_elem {
    const char *name;
    size_t name_len;
    const char *attrs;
    bool empty;
};

const char *vt_scan_skip_space(const char *p);

/* Reads name="value" or name='value' at p; returns the end, NULL if none. */
const char *vt_scan_attr(const char *p, struct vt_scan_attr *a);

/* The next attribute of a start tag at *p, or false at the tag's end. */
bool vt_scan_next_attr(const char **p, struct vt_scan_attr *a);

/* Reads the start tag at p ('<'); returns its end, NULL if malformed. */
const char *vt_scan_elem(const char *p, struct vt_scan_elem *el);

/* Is [s, s+len) exactly word? */
bool vt_scan_is(const char *s, size_t len, const char *word);

/* The end of the comment, CDATA section or processing instruction at p,
 * or NULL if it has none. */
const char *vt_scan_skip_markup(const char *p);

#endif
