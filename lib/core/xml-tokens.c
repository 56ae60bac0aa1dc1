#include "xml-tokens.h"

#include <string.h>

const char *vt_scan_skip_space(const char *p)
{
    return p + strspn(p, " \t\r\n");
}

/* Reads name="value" or name='value' at p; returns the end, NULL if none. */
const char *vt_scan_attr(const char *p, struct vt_scan_attr *a)
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

/* The next attribute of a start tag at p, or false at the tag's end. */
bool vt_scan_next_attr(const char **p, struct vt_scan_attr *a)
{
    *p = vt_scan_skip_space(*p);
    if (**p == '/' || **p == '>')
        return false;
    *p = vt_scan_attr(*p, a);
    return *p != NULL;
}

/* Reads the start tag at p ('<'); returns its end, NULL if malformed. */
const char *vt_scan_elem(const char *p, struct vt_scan_elem *el)
{
    struct vt_scan_attr a;
    el->name = p + 1;
    el->name_len = strcspn(el->name, "= \t\r\n/><\"'");
    if (el->name_len == 0)
        return NULL;
    el->attrs = p = el->name + el->name_len;
    while (vt_scan_next_attr(&p, &a))
        ;
    if (p == NULL || (*p == '/' && p[1] != '>'))
        return NULL;
    el->empty = *p == '/';
    return p + (el->empty ? 2 : 1);
}

bool vt_scan_is(const char *s, size_t len, const char *word)
{
    return len == strlen(word) && strncmp(s, word, len) == 0;
}

/* The end of the comment, CDATA section or processing instruction at p,
 * or NULL if it has none. */
const char *vt_scan_skip_markup(const char *p)
{
    static const struct {
        const char *open, *close;
    } kinds[] = {{"<!--", "-->"}, {"<![CDATA[", "]]>"}, {"<?", "?>"}, {"<!", ">"}};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t open_len = strlen(kinds[i].open);
        if (strncmp(p, kinds[i].open, open_len) == 0) {
            const char *end = strstr(p + open_len, kinds[i].close);
            return end ? end + strlen(kinds[i].close) : NULL;
        }
    }
    return NULL;
}
