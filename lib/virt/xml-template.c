/* The template side: fill the kernel base, make the template's domain. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "xml-internal.h"
#include "xml.h"

static int vt_xml_set_path(struct vt_xml *x, const char *expr, const char *value,
                           vt_error_t *err)
{
    xmlNodePtr node = vt_xml_find_one(x, expr);
    if (node == NULL)
        return vt_error_set(err, 0, "base XML has no '%s'", expr);
    return vt_xml_set_text(node, value, err);
}

int vt_xml_fill_kernel_base(const char *base, const struct vt_xml_kernel_params *p, char **out,
                            vt_error_t *err)
{
    vt_autoxml struct vt_xml x = {0};
    char memory[32], vcpus[32];
    snprintf(memory, sizeof(memory), "%u", p->memory_mib);
    snprintf(vcpus, sizeof(vcpus), "%u", p->vcpus);
    if (vt_xml_open(base, &x, err) < 0 || vt_xml_set_path(&x, "/domain/@type", p->virt_type, err) < 0 ||
        vt_xml_set_path(&x, "/domain/name", p->name, err) < 0 ||
        vt_xml_set_path(&x, "/domain/memory", memory, err) < 0 ||
        vt_xml_set_path(&x, "/domain/memory/@unit", "MiB", err) < 0 ||
        vt_xml_set_path(&x, "/domain/vcpu", vcpus, err) < 0 ||
        vt_xml_set_path(&x, "/domain/os/kernel", p->kernel, err) < 0 ||
        vt_xml_set_path(&x, "/domain/os/initrd", p->initrd, err) < 0 ||
        vt_xml_set_path(&x, "/domain/os/cmdline", p->cmdline, err) < 0 ||
        vt_xml_set_path(&x, "/domain/devices/serial/log/@file", p->console_log, err) < 0)
        return -1;
    return vt_xml_dump(&x, out, err);
}

struct vt_xml_refusal {
    const char *expr;
    const char *why;
};

/* What the template cannot have: we own the guest RAM, and a balloon would
 * free pages the clones share (docs/design.md, Flows: create). */
static const struct vt_xml_refusal vt_template_refusals[] = {
    {"/domain/metadata/vt:template", "domain XML is already managed by virt-template"},
    {"/domain/memoryBacking/hugepages", "domain XML uses hugepages; templates need file-backed RAM"},
    {"/domain/memoryBacking", "domain XML has its own <memoryBacking>; virt-template provides the guest RAM"},
    {"/domain/cpu/numa", "domain XML defines NUMA cells; templates support one RAM backend only"},
    {"/domain/maxMemory", "domain XML allows memory hotplug (<maxMemory>); templates do not"},
    {"/domain/devices/memory", "domain XML has a <memory> device; templates do not support memory hotplug"},
    /* Its state is the guest's secrets; clones cannot share one, and a copy
     * each would make them all the same machine to the guest. */
    {"/domain/devices/tpm[backend/@type='emulator']", "domain XML has an emulated TPM; its state cannot be given to clones (remove the TPM from the template)"},
    {"/domain/devices/filesystem", "domain XML shares a host directory (<filesystem>); templates do not support it"},
    {"/domain/devices/hostdev", "domain XML passes a host device through (<hostdev>); templates do not support it"},
};

static int vt_xml_check_template_input(struct vt_xml *x, vt_error_t *err)
{
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_template_refusals); i++)
        if (vt_xml_find_one(x, vt_template_refusals[i].expr))
            return vt_error_set(err, 0, "%s", vt_template_refusals[i].why);
    return 0;
}

/* A balloon would free pages the clones share: the template has none
 * (removed from a virt-install domain, with a notice by the caller). */
static int vt_xml_add_no_balloon(struct vt_xml *x, bool *removed, vt_error_t *err)
{
    *removed = vt_xml_find_one(x, "/domain/devices/memballoon[@model!='none']") != NULL;
    vt_xml_remove_all(x, "/domain/devices/memballoon[@model!='none']");
    if (vt_xml_find_one(x, "/domain/devices/memballoon"))
        return 0;
    /* Without the element libvirt adds a virtio balloon by itself. */
    xmlNodePtr devices = vt_xml_child(xmlDocGetRootElement(x->doc), "devices");
    xmlNodePtr balloon = devices ? xmlNewChild(devices, NULL, BAD_CAST "memballoon", NULL) : NULL;
    if (balloon == NULL || xmlSetProp(balloon, BAD_CAST "model", BAD_CAST "none") == NULL)
        return vt_error_nomem(err);
    return 0;
}

/* Identity, files, RAM and metadata of the template's domain. */
static int vt_xml_make_template_rest(struct vt_xml *x, const char *name, const struct vt_dirs *dirs,
                                     struct vt_xml_template_plan *plan, char **out,
                                     vt_error_t *err)
{
    vt_autofree char *mem_path = vt_path_template(dirs, VT_PATH_MEM, name, err);
    if (mem_path == NULL)
        return -1;
    /* The source domain may run beside the template: a new UUID and MACs,
     * and console files of its own. */
    vt_xml_remove_all(x, "/domain/uuid | /domain/@id | /domain/currentMemory | "
                         "/domain/devices/interface/mac");
    xmlNodePtr name_node = vt_xml_child(xmlDocGetRootElement(x->doc), "name");
    vt_autofree char *source_name = name_node ? (char *)xmlNodeGetContent(name_node) : NULL;
    if (source_name && *source_name && vt_xml_rename_files(x, source_name, name, err) < 0)
        return -1;
    if (vt_xml_set_text(name_node, name, err) < 0 ||
        vt_xml_template_console_log(x, name, dirs, err) < 0 ||
        vt_xml_template_identity(x, name, dirs, err) < 0 ||
        vt_xml_add_no_balloon(x, &plan->balloon_removed, err) < 0 ||
        vt_xml_set_metadata(x, VT_ROLE_TEMPLATE, name, err) < 0)
        return -1;
    vt_xml_qemu_strip_ours(x);
    if (vt_xml_qemu_add_ram(vt_xml_qemu_commandline(x), plan->memory_bytes, mem_path,
                            VT_RAM_SHARED, err) < 0)
        return -1;
    return vt_xml_dump(x, out, err);
}

int vt_xml_make_template(const char *in, const char *name, const struct vt_dirs *dirs,
                         char **out, struct vt_xml_template_plan *plan, vt_error_t *err)
{
    vt_autoxml struct vt_xml x = {0};
    *plan = (struct vt_xml_template_plan){0};
    if (vt_xml_open(in, &x, err) < 0 || vt_xml_check_template_input(&x, err) < 0 ||
        vt_xml_memory_bytes(&x, &plan->memory_bytes, err) < 0 ||
        vt_xml_template_disks(&x, name, dirs, plan, err) < 0 ||
        vt_xml_template_nvram(&x, name, dirs, plan, err) < 0 ||
        vt_xml_make_template_rest(&x, name, dirs, plan, out, err) < 0) {
        vt_xml_template_plan_clear(plan);
        return -1;
    }
    return 0;
}

static const char *const vt_console_file_exprs[] = {
    "/domain/devices/serial/log/@file",
    "/domain/devices/serial[@type='file']/source/@path",
    "/domain/devices/console/log/@file",
    "/domain/devices/console[@type='file']/source/@path",
};

char *vt_xml_console_file(const char *xml, vt_error_t *err)
{
    vt_autoxml struct vt_xml x = {0};
    if (vt_xml_open(xml, &x, err) < 0)
        return NULL;
    for (size_t i = 0; i < VT_N_ELEMENTS(vt_console_file_exprs); i++) {
        xmlNodePtr attr = vt_xml_find_one(&x, vt_console_file_exprs[i]);
        char *path = attr ? (char *)xmlNodeGetContent(attr) : NULL;
        if (path && *path)
            return path;
        free(path);
    }
    vt_error_set(err, 0, "domain has no file-backed serial console to watch");
    return NULL;
}
