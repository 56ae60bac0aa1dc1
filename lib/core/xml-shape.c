#include "xml-shape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xml-tokens.h"

#define VT_SHAPE_DEPTH_MAX 32

/* The open elements above the tag being read: names only. */
struct vt_shape_walk {
    struct vt_domain_shape *shape;
    int depth;
    struct {
        const char *name;
        size_t len;
    } open[VT_SHAPE_DEPTH_MAX];
    char *device; /* the current child of <devices>, being described */
};

static bool vt_shape_under(const struct vt_shape_walk *w, int depth, const char *name)
{
    return w->depth > depth && vt_scan_is(w->open[depth].name, w->open[depth].len, name);
}

/* Appends " NAME=VALUE" for attribute `name` of el, if it has one. */
static void vt_shape_add_attr(char *out, size_t size, const struct vt_scan_elem *el,
                              const char *name, const char *label)
{
    const char *p = el->attrs;
    struct vt_scan_attr a;
    while (vt_scan_next_attr(&p, &a))
        if (vt_scan_is(a.name, a.name_len, name)) {
            size_t used = strlen(out);
            snprintf(out + used, size - used, " %s=%.*s", label, (int)a.value_len, a.value);
            return;
        }
}

/* Appends every attribute of el (an <address>), in libvirt's order. */
static void vt_shape_add_all_attrs(char *out, size_t size, const struct vt_scan_elem *el)
{
    const char *p = el->attrs;
    struct vt_scan_attr a;
    size_t used = strlen(out);
    snprintf(out + used, size - used, " at");
    while (vt_scan_next_attr(&p, &a)) {
        used = strlen(out);
        snprintf(out + used, size - used, " %.*s=%.*s", (int)a.name_len, a.name, (int)a.value_len,
                 a.value);
    }
}

/* The text after a start tag (up to the next markup), trimmed. */
static void vt_shape_text(const char *after, char *out, size_t size)
{
    after = vt_scan_skip_space(after);
    size_t len = strcspn(after, "<");
    while (len > 0 && strchr(" \t\r\n", after[len - 1]))
        len--;
    snprintf(out, size, "%.*s", (int)len, after);
}

static int vt_shape_new_device(struct vt_shape_walk *w, const struct vt_scan_elem *el,
                               vt_error_t *err)
{
    struct vt_domain_shape *s = w->shape;
    if (s->ndevices == VT_SHAPE_DEVICES_MAX)
        return vt_error_set(err, 0, "domain XML has more than %d devices", VT_SHAPE_DEVICES_MAX);
    w->device = s->devices[s->ndevices++];
    snprintf(w->device, VT_SHAPE_DEVICE, "%.*s", (int)el->name_len, el->name);
    /* What the guest sees of the device itself; not its host backend. */
    if (vt_scan_is(el->name, el->name_len, "controller") ||
        vt_scan_is(el->name, el->name_len, "input")) {
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "type", "type");
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "index", "index");
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "model", "model");
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "bus", "bus");
    }
    vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "device", "device");
    if (vt_scan_is(el->name, el->name_len, "memballoon") ||
        vt_scan_is(el->name, el->name_len, "rng") ||
        vt_scan_is(el->name, el->name_len, "watchdog") || vt_scan_is(el->name, el->name_len, "tpm"))
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "model", "model");
    return 0;
}

/* A child of the current device: its model, bus and address. */
static void vt_shape_device_detail(struct vt_shape_walk *w, const struct vt_scan_elem *el)
{
    if (w->device == NULL)
        return;
    if (vt_scan_is(el->name, el->name_len, "address"))
        vt_shape_add_all_attrs(w->device, VT_SHAPE_DEVICE, el);
    else if (vt_scan_is(el->name, el->name_len, "model"))
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "type", "model");
    else if (vt_scan_is(el->name, el->name_len, "target"))
        vt_shape_add_attr(w->device, VT_SHAPE_DEVICE, el, "bus", "bus");
}

static void vt_shape_vcpus(struct vt_domain_shape *s, const struct vt_scan_elem *el,
                           const char *after)
{
    char current[VT_SHAPE_FIELD] = "";
    vt_shape_text(after, s->vcpus, sizeof(s->vcpus));
    vt_shape_add_attr(current, sizeof(current), el, "current", "current");
    size_t used = strlen(s->vcpus);
    if (*current)
        snprintf(s->vcpus + used, sizeof(s->vcpus) - used, " (%s)", current + 1);
}

static void vt_shape_memory(struct vt_domain_shape *s, const struct vt_scan_elem *el,
                            const char *after)
{
    char unit[VT_SHAPE_FIELD] = "";
    vt_shape_text(after, s->memory, sizeof(s->memory));
    vt_shape_add_attr(unit, sizeof(unit), el, "unit", "u");
    size_t used = strlen(s->memory);
    snprintf(s->memory + used, sizeof(s->memory) - used, " %s", *unit ? unit + 3 : "KiB");
}

/* One start tag at depth w->depth, its text starting at `after`. */
static int vt_shape_tag(struct vt_shape_walk *w, const struct vt_scan_elem *el, const char *after,
                        vt_error_t *err)
{
    struct vt_domain_shape *s = w->shape;
    if (w->depth == 1 && vt_scan_is(el->name, el->name_len, "memory"))
        vt_shape_memory(s, el, after);
    else if (w->depth == 1 && vt_scan_is(el->name, el->name_len, "vcpu"))
        vt_shape_vcpus(s, el, after);
    else if (w->depth == 2 && vt_shape_under(w, 1, "os") &&
             vt_scan_is(el->name, el->name_len, "type")) {
        char machine[VT_SHAPE_FIELD] = "";
        vt_shape_add_attr(machine, sizeof(machine), el, "machine", "m");
        snprintf(s->machine, sizeof(s->machine), "%s", *machine ? machine + 3 : "");
    } else if (w->depth == 2 && vt_shape_under(w, 1, "devices"))
        return vt_shape_new_device(w, el, err);
    else if (w->depth == 3 && vt_shape_under(w, 1, "devices"))
        vt_shape_device_detail(w, el);
    return 0;
}

static int vt_shape_open(struct vt_shape_walk *w, const char *p, const char **end, vt_error_t *err)
{
    struct vt_scan_elem el;
    if ((*end = vt_scan_elem(p, &el)) == NULL)
        return vt_error_set(err, 0, "domain XML: malformed element");
    if (vt_shape_tag(w, &el, *end, err) < 0)
        return -1;
    if (el.empty)
        return 0;
    if (w->depth == VT_SHAPE_DEPTH_MAX)
        return vt_error_set(err, 0, "domain XML is nested too deeply");
    w->open[w->depth].name = el.name;
    w->open[w->depth].len = el.name_len;
    w->depth++;
    return 0;
}

static int vt_shape_close(struct vt_shape_walk *w, const char *p, const char **end, vt_error_t *err)
{
    *end = strchr(p, '>');
    if (*end == NULL || w->depth == 0)
        return vt_error_set(err, 0, "domain XML: malformed element");
    (*end)++;
    if (--w->depth == 2)
        w->device = NULL;
    return 0;
}

static int vt_shape_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

int vt_xml_scan_shape(const char *xml, struct vt_domain_shape *shape, vt_error_t *err)
{
    *shape = (struct vt_domain_shape){0};
    shape->devices = calloc(VT_SHAPE_DEVICES_MAX, VT_SHAPE_DEVICE);
    if (shape->devices == NULL)
        return vt_error_nomem(err);
    struct vt_shape_walk w = {.shape = shape};
    for (const char *p = xml; (p = strchr(p, '<')) != NULL;) {
        const char *end = NULL;
        int rc = 0;
        if (p[1] == '!' || p[1] == '?')
            rc = (end = vt_scan_skip_markup(p))
                     ? 0
                     : vt_error_set(err, 0, "domain XML: unterminated markup");
        else if (p[1] == '/')
            rc = vt_shape_close(&w, p, &end, err);
        else
            rc = vt_shape_open(&w, p, &end, err);
        if (rc < 0) {
            vt_domain_shape_clear(shape);
            return -1;
        }
        p = end;
    }
    qsort(shape->devices, shape->ndevices, VT_SHAPE_DEVICE, vt_shape_cmp);
    return 0;
}

void vt_domain_shape_clear(struct vt_domain_shape *shape)
{
    free(shape->devices);
    *shape = (struct vt_domain_shape){0};
}

static bool vt_shape_is_controller(const char *device)
{
    return strncmp(device, "controller", 10) == 0;
}

/* The first device in one sorted list and not the other, among
 * controllers or among the rest. */
static bool vt_shape_device_diff_of(const struct vt_domain_shape *c,
                                    const struct vt_domain_shape *t, bool controllers, char *out,
                                    size_t size)
{
    size_t i = 0, j = 0;
    while (i < c->ndevices || j < t->ndevices) {
        int cmp = i == c->ndevices   ? 1
                  : j == t->ndevices ? -1
                                     : strcmp(c->devices[i], t->devices[j]);
        const char *odd = cmp < 0 ? c->devices[i] : t->devices[j];
        if (cmp == 0) {
            i++, j++;
            continue;
        }
        cmp < 0 ? i++ : j++;
        if (vt_shape_is_controller(odd) != controllers)
            continue;
        snprintf(out, size,
                 cmp < 0 ? "it has a device the template has not (%s)"
                         : "it lacks a device of the template (%s)",
                 odd);
        return true;
    }
    return false;
}

/* A device the user added or removed says more than the controller libvirt
 * added for it: name that first. */
static void vt_shape_device_diff(const struct vt_domain_shape *c, const struct vt_domain_shape *t,
                                 char *out, size_t size)
{
    if (!vt_shape_device_diff_of(c, t, false, out, size))
        vt_shape_device_diff_of(c, t, true, out, size);
}

void vt_domain_shape_diff(const struct vt_domain_shape *c, const struct vt_domain_shape *t,
                          char *out, size_t size)
{
    *out = '\0';
    if (strcmp(c->machine, t->machine) != 0)
        snprintf(out, size, "machine type is '%s', the template's '%s'", c->machine, t->machine);
    else if (strcmp(c->memory, t->memory) != 0)
        snprintf(out, size, "memory is %s, the template's %s", c->memory, t->memory);
    else if (strcmp(c->vcpus, t->vcpus) != 0)
        snprintf(out, size, "vCPUs are %s, the template's %s", c->vcpus, t->vcpus);
    else
        vt_shape_device_diff(c, t, out, size);
}

bool vt_xml_scan_arg(const char *xml, const char *prefix, char *out, size_t size)
{
    size_t plen = strlen(prefix);
    for (const char *p = xml; (p = strstr(p, prefix)) != NULL; p += plen) {
        /* Only at the start of a quoted attribute value. */
        if (p == xml || (p[-1] != '\'' && p[-1] != '"'))
            continue;
        const char *v = p + plen;
        size_t len = strcspn(v, ",'\"<");
        snprintf(out, size, "%.*s", (int)len, v);
        return true;
    }
    return false;
}

int vt_xml_ram_to_anonymous(const char *xml, char **out, vt_error_t *err)
{
    static const char ours[] = "memory-backend-file,id=vt-ram,";
    *out = NULL;
    for (const char *p = xml; (p = strstr(p, ours)) != NULL; p += sizeof(ours) - 1) {
        /* Our value: the whole of a quoted attribute value. */
        if (p == xml || (p[-1] != '\'' && p[-1] != '"'))
            continue;
        const char *end = strchr(p, p[-1]);
        unsigned long long size = 0;
        if (end == NULL || sscanf(p + sizeof(ours) - 1, "size=%llu,", &size) != 1 || size == 0)
            return vt_error_set(err, 0, "virt-template's memory argument is damaged");
        if (asprintf(out, "%.*smemory-backend-ram,id=vt-ram,size=%llu%s", (int)(p - xml), xml, size,
                     end) < 0) {
            *out = NULL;
            return vt_error_nomem(err);
        }
        return 1;
    }
    return 0;
}

bool vt_xml_maps_template_memory(const char *xml)
{
    return strstr(xml, "memory-backend-file,id=vt-ram,") != NULL;
}
