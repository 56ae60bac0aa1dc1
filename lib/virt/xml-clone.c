/* The clone side: the template's saved live XML becomes a clone's
 * persistent definition. Only what is per domain changes (docs/design.md, Flows: clone). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "xml-internal.h"
#include "xml.h"

/* Everything the live run generated and a new domain must not inherit:
 * identity, security labels, runtime aliases, MACs, tap names, ptys, ports.
 * A user-mode NIC keeps the template's MAC: its network is private to each
 * QEMU, and the migrated SLIRP lease and port forwards are bound to it
 * (docs/design.md, clone identity). */
static const char *const vt_clone_drop_exprs[] = {
    "/domain/@id",
    "/domain/uuid",
    "/domain/seclabel",
    "/domain/devices//alias[not(starts-with(@name, 'ua-'))]",
    "/domain/devices/interface[not(@type='user')]/mac",
    "/domain/devices/interface/target[starts-with(@dev, 'vnet') or starts-with(@dev, 'macvtap')]",
    "/domain/devices/interface/source/@portid",
    "/domain/devices/interface[@type='network']/source/@bridge",
    "/domain/devices/*[@type='pty']/source",
    "/domain/devices/console/@tty",
    "/domain/devices/graphics[@autoport='yes']/@port",
    "/domain/devices/graphics[@autoport='yes']/@tlsPort",
    "/domain/devices/graphics[@autoport='yes']/@websocket",
    /* libvirt makes each domain's channel sockets (the guest agent's). */
    "/domain/devices/channel[@type='unix']/source/@path",
    "/domain/devices/channel/target/@state",
};

static int vt_xml_clone_qemu_args(struct vt_xml *x, const char *clone, const struct vt_dirs *dirs,
                                  const char *mem_path, uint64_t bytes, enum vt_ram_mapping mapping,
                                  vt_error_t *err)
{
    vt_autofree char *qmp = vt_path_clone_qmp(dirs, clone, err);
    vt_autofree char *chardev = NULL;
    if (qmp == NULL)
        return -1;
    if (asprintf(&chardev, "socket,id=vt-qmp,path=%s,server=on,wait=off", qmp) < 0)
        return vt_error_nomem(err);
    vt_xml_qemu_strip_ours(x);
    xmlNodePtr cmdline = vt_xml_qemu_commandline(x);
    /* share=off: copy-on-write, the template file is never written. The
     * hook feeds the device state through the second monitor. */
    if (vt_xml_qemu_add_ram(cmdline, bytes, mem_path, mapping, err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "-chardev", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, chardev, err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "-mon", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "chardev=vt-qmp,mode=control", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "-incoming", err) < 0 ||
        vt_xml_qemu_add_arg(cmdline, "defer", err) < 0)
        return -1;
    return 0;
}

/* What virt-manager and `virsh list --title` users see: where the clone
 * comes from and how it behaves. */
char *vt_xml_clone_title(const char *template_name)
{
    char *title = NULL;
    if (asprintf(&title, "virt-template clone of '%s'", template_name) < 0)
        return NULL;
    return title;
}

static char *vt_xml_clone_description(const char *template_name, const char *clone)
{
    char *text = NULL;
    if (asprintf(&text,
                 "A clone of virt-template template '%s'. Each fresh start (after a shutdown "
                 "or destroy) resumes the template's saved point, with its writable disks "
                 "reset to that point; a managed save keeps the clone's own state. Its "
                 "hardware stays the template's. 'virt-template info %s' shows the template; "
                 "'virt-template detach %s' makes this an ordinary domain.",
                 template_name, template_name, clone) < 0)
        return NULL;
    return text;
}

/* <title> and <description> right after <name>, replacing the template's. */
static int vt_xml_clone_describe(struct vt_xml *x, const char *template_name, const char *clone,
                                 vt_error_t *err)
{
    vt_autofree char *title = vt_xml_clone_title(template_name);
    vt_autofree char *desc = title ? vt_xml_clone_description(template_name, clone) : NULL;
    xmlNodePtr name = vt_xml_child(xmlDocGetRootElement(x->doc), "name");
    if (desc == NULL || name == NULL)
        return vt_error_nomem(err);
    vt_xml_remove_all(x, "/domain/title");
    vt_xml_remove_all(x, "/domain/description");
    xmlNodePtr t = xmlNewDocNode(x->doc, NULL, BAD_CAST "title", NULL);
    xmlNodePtr d = xmlNewDocNode(x->doc, NULL, BAD_CAST "description", NULL);
    if (t == NULL || d == NULL) {
        xmlFreeNode(t);
        xmlFreeNode(d);
        return vt_error_nomem(err);
    }
    xmlAddNextSibling(name, t);
    xmlAddNextSibling(t, d);
    if (vt_xml_set_text(t, title, err) < 0 || vt_xml_set_text(d, desc, err) < 0)
        return -1;
    return 0;
}

void vt_xml_clone_undescribe(struct vt_xml *x, const char *template_name)
{
    vt_autofree char *ours = vt_xml_clone_title(template_name);
    xmlNodePtr title = vt_xml_find_one(x, "/domain/title");
    vt_autofree char *text = title ? (char *)xmlNodeGetContent(title) : NULL;
    if (ours == NULL || text == NULL || strcmp(text, ours) != 0)
        return;
    vt_xml_remove_all(x, "/domain/title");
    vt_xml_remove_all(x, "/domain/description");
}

int vt_xml_make_clone(const char *live, const char *template_name, const char *clone,
                      const struct vt_dirs *dirs, uint64_t memory_bytes,
                      enum vt_ram_mapping mapping, char **out, vt_error_t *err)
{
    vt_autoxml struct vt_xml x = {0};
    if (vt_xml_open(live, &x, err) < 0)
        return -1;
    vt_autofree char *mem_path = vt_path_template(dirs, VT_PATH_MEM, template_name, err);
    if (mem_path == NULL)
        return -1;
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_clone_drop_exprs); i++)
        vt_xml_remove_all(&x, vt_clone_drop_exprs[i]);
    /* vmgenid: an empty <genid/> makes libvirt pick a new one per clone, and
     * the guest is told after the incoming migration. */
    xmlNodePtr genid = vt_xml_find_one(&x, "/domain/genid");
    if (genid)
        xmlNodeSetContent(genid, NULL);
    if (vt_xml_set_text(vt_xml_child(xmlDocGetRootElement(x.doc), "name"), clone, err) < 0 ||
        vt_xml_clone_describe(&x, template_name, clone, err) < 0 ||
        vt_xml_rename_files(&x, template_name, clone, err) < 0 ||
        vt_xml_clone_disks(&x, template_name, clone, dirs, err) < 0 ||
        vt_xml_clone_identity(&x, clone, dirs, err) < 0 ||
        vt_xml_set_metadata(&x, VT_ROLE_CLONE, template_name, err) < 0 ||
        vt_xml_clone_qemu_args(&x, clone, dirs, mem_path, memory_bytes, mapping, err) < 0)
        return -1;
    return vt_xml_dump(&x, out, err);
}
