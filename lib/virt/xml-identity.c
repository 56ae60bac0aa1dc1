/* A clone's identity in its XML: a vmgenid, and the identity channel the
 * hook writes each clone's identity to (docs/design.md, clone identity). */
#include "cleanup.h"
#include "xml-internal.h"
#include "xml.h"

/* The identity channel's target name (docs/design.md, clone identity). */
#define VT_IDENTITY_PORT "org.virt-template.identity.0"

int vt_xml_template_identity(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                             vt_error_t *err)
{
    xmlNodePtr root = xmlDocGetRootElement(x->doc);
    /* Each clone gets a GUID of its own, which reseeds a Linux guest's RNG
     * after the resume; the template must have the device for that. */
    if (vt_xml_find_one(x, "/domain/genid") == NULL &&
        xmlNewChild(root, NULL, BAD_CAST "genid", NULL) == NULL)
        return vt_error_nomem(err);
    vt_xml_remove_all(x, "/domain/devices/channel[target/@name='" VT_IDENTITY_PORT "']");
    vt_autofree char *path = vt_path_identity(dirs, name, err);
    xmlNodePtr devices = path ? vt_xml_child(root, "devices") : NULL;
    xmlNodePtr ch = devices ? xmlNewChild(devices, NULL, BAD_CAST "channel", NULL) : NULL;
    xmlNodePtr source = ch ? xmlNewChild(ch, NULL, BAD_CAST "source", NULL) : NULL;
    xmlNodePtr target = source ? xmlNewChild(ch, NULL, BAD_CAST "target", NULL) : NULL;
    if (path == NULL)
        return -1;
    if (target == NULL || xmlSetProp(ch, BAD_CAST "type", BAD_CAST "unix") == NULL ||
        xmlSetProp(source, BAD_CAST "mode", BAD_CAST "bind") == NULL ||
        xmlSetProp(source, BAD_CAST "path", BAD_CAST path) == NULL ||
        xmlSetProp(target, BAD_CAST "type", BAD_CAST "virtio") == NULL ||
        xmlSetProp(target, BAD_CAST "name", BAD_CAST VT_IDENTITY_PORT) == NULL)
        return vt_error_nomem(err);
    return 0;
}

int vt_xml_clone_identity(struct vt_xml *x, const char *clone, const struct vt_dirs *dirs,
                          vt_error_t *err)
{
    xmlNodePtr source = vt_xml_find_one(
        x, "/domain/devices/channel[target/@name='" VT_IDENTITY_PORT "']/source");
    if (source == NULL)
        return 0; /* a template made before the channel */
    vt_autofree char *path = vt_path_identity(dirs, clone, err);
    if (path == NULL)
        return -1;
    if (xmlSetProp(source, BAD_CAST "path", BAD_CAST path) == NULL)
        return vt_error_nomem(err);
    return 0;
}
