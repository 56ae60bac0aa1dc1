#include "virt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>

#include "cleanup.h"
#include "clock.h"
#include "fileio.h"
#include "qmp.h"
#include "xml-internal.h"
#include "xml.h"

int vt_error_set_virt(vt_error_t *err, const char *fmt, ...)
{
    va_list ap;
    char base[512];
    va_start(ap, fmt);
    vsnprintf(base, sizeof(base), fmt, ap);
    va_end(ap);
    const char *why = virGetLastErrorMessage();
    if (why && *why)
        return vt_error_set(err, 0, "%s: %s", base, why);
    return vt_error_set(err, 0, "%s", base);
}

void vt_virt_conn_closep(virConnectPtr *conn)
{
    if (*conn)
        virConnectClose(*conn);
}

void vt_virt_domain_freep(virDomainPtr *dom)
{
    if (*dom)
        virDomainFree(*dom);
}

static void vt_virt_silence(void *data, virErrorPtr error)
{
    (void)data;
    (void)error;
}

virConnectPtr vt_virt_open(const char *uri, vt_error_t *err)
{
    virSetErrorFunc(NULL, vt_virt_silence);
    virConnectPtr conn = virConnectOpen(uri);
    if (conn == NULL)
        vt_error_set_virt(err, "cannot connect to '%s'", uri);
    return conn;
}

int vt_virt_versions(virConnectPtr conn, struct vt_versions *v, vt_error_t *err)
{
    /* The hypervisor version below is QEMU's only on the QEMU driver. */
    const char *type = virConnectGetType(conn);
    if (type == NULL)
        return vt_error_set_virt(err, "cannot read the connection's driver");
    if (strcmp(type, "QEMU") != 0)
        return vt_error_set(err, 0, "the connection's driver is %s; virt-template needs QEMU",
                            type);
    if (virGetVersion(&v->library, NULL, NULL) < 0)
        return vt_error_set_virt(err, "cannot read the libvirt library's version");
    if (virConnectGetLibVersion(conn, &v->daemon) < 0)
        return vt_error_set_virt(err, "cannot read libvirtd's version");
    if (virConnectGetVersion(conn, &v->qemu) < 0)
        return vt_error_set_virt(err, "cannot read the QEMU version");
    return 0;
}

static int vt_parse_dac_label(const char *label, uid_t *uid, gid_t *gid)
{
    unsigned long u, g;
    if (sscanf(label, "+%lu:+%lu", &u, &g) != 2)
        return -1;
    *uid = (uid_t)u;
    *gid = (gid_t)g;
    return 0;
}

int vt_virt_qemu_user(virConnectPtr conn, uid_t *uid, gid_t *gid, vt_error_t *err)
{
    vt_autofree char *caps = virConnectGetCapabilities(conn);
    if (caps == NULL)
        return vt_error_set_virt(err, "cannot read host capabilities");
    *uid = 0;
    *gid = 0;
    xmlDocPtr doc = xmlReadMemory(caps, (int)strlen(caps), "caps.xml", NULL, XML_PARSE_NONET);
    xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
    xmlXPathObjectPtr res =
        ctx ? xmlXPathEvalExpression(
                  BAD_CAST
                  "string(/capabilities/host/secmodel[model='dac']/baselabel[@type='qemu'])",
                  ctx)
            : NULL;
    int rc = 0;
    if (res == NULL)
        rc = vt_error_set(err, 0, "cannot parse host capabilities");
    else if (res->stringval && *res->stringval &&
             vt_parse_dac_label((const char *)res->stringval, uid, gid) < 0)
        rc = vt_error_set(err, 0, "unexpected DAC label '%s'", res->stringval);
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return rc;
}

virDomainPtr vt_virt_domain_lookup(virConnectPtr conn, const char *name, bool *missing,
                                   vt_error_t *err)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    *missing = dom == NULL && virGetLastErrorCode() == VIR_ERR_NO_DOMAIN;
    if (dom != NULL)
        return dom;
    if (*missing)
        vt_error_set(err, 0, "domain '%s' does not exist", name);
    else
        vt_error_set_virt(err, "cannot look up domain '%s'", name);
    return NULL;
}

bool vt_virt_domain_exists(virConnectPtr conn, const char *name)
{
    vt_autodomain virDomainPtr dom = virDomainLookupByName(conn, name);
    return dom != NULL;
}

int vt_virt_monitor(virDomainPtr dom, const char *command, json_object *args, int pass_fd,
                    json_object **ret, vt_error_t *err)
{
    vt_autofree char *text = vt_qmp_command_text(command, args, err);
    vt_autofree char *reply = NULL;
    if (text == NULL)
        return -1;
    int rc = pass_fd >= 0 ? virDomainQemuMonitorCommandWithFiles(dom, text, 1, &pass_fd, NULL, NULL,
                                                                 &reply, 0)
                          : virDomainQemuMonitorCommand(dom, text, &reply, 0);
    if (rc < 0)
        return vt_error_set_virt(err, "%s", command);
    struct vt_qmp_message msg;
    if (vt_qmp_parse_message(reply, strlen(reply), &msg, err) < 0)
        return vt_error_prefix(err, "%s", command);
    return vt_qmp_reply_take(command, &msg, ret, err);
}

/* Reads our metadata element alone, without the whole domain XML. */
static bool vt_virt_is_clone_of(virDomainPtr dom, const char *template_name)
{
    vt_autofree char *el = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, VT_XML_NS, 0);
    struct vt_xml_metadata md;
    vt_autoerror vt_error_t ignored = NULL;
    if (el == NULL || vt_xml_read_metadata_element(el, &md, &ignored) < 0)
        return false;
    return md.role == VT_ROLE_CLONE && strcmp(md.template_name, template_name) == 0;
}

int vt_virt_list_clones(virConnectPtr conn, const char *template_name, char ***names,
                        vt_error_t *err)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0)
        return vt_error_set_virt(err, "cannot list domains");
    char **list = calloc((size_t)n + 1, sizeof(char *));
    size_t found = 0;
    for (int i = 0; i < n; i++) {
        if (list && vt_virt_is_clone_of(doms[i], template_name))
            list[found++] = strdup(virDomainGetName(doms[i]));
        virDomainFree(doms[i]);
    }
    free(doms);
    if (list == NULL)
        return vt_error_nomem(err);
    vt_strv_sort(list, found);
    *names = list;
    return 0;
}

/* virsh's words for virDomainState, in its order. */
static const char *const vt_domain_state_names[] = {
    "no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended",
};
_Static_assert(VT_N_ELEMENTS(vt_domain_state_names) == VIR_DOMAIN_PMSUSPENDED + 1,
               "a name for every virDomainState");

static const char *vt_virt_domain_state(virDomainPtr dom)
{
    int state = -1, reason;
    if (virDomainGetState(dom, &state, &reason, 0) < 0 || state < 0 ||
        (size_t)state >= VT_N_ELEMENTS(vt_domain_state_names))
        return "unknown";
    return vt_domain_state_names[state];
}

static int vt_clone_status_cmp(const void *a, const void *b)
{
    return strcmp(((const struct vt_clone_status *)a)->name,
                  ((const struct vt_clone_status *)b)->name);
}

void vt_clone_status_free(struct vt_clone_status *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].name);
    free(list);
}

int vt_virt_clone_status(virConnectPtr conn, const char *template_name,
                         struct vt_clone_status **list, size_t *n, vt_error_t *err)
{
    virDomainPtr *doms = NULL;
    int count = virConnectListAllDomains(conn, &doms, 0);
    if (count < 0)
        return vt_error_set_virt(err, "cannot list domains");
    struct vt_clone_status *out = calloc((size_t)count + 1, sizeof(*out));
    size_t found = 0;
    bool nomem = out == NULL;
    for (int i = 0; i < count; i++) {
        if (!nomem && vt_virt_is_clone_of(doms[i], template_name)) {
            struct vt_clone_status *c = &out[found];
            c->state = vt_virt_domain_state(doms[i]);
            c->managed_save = virDomainHasManagedSaveImage(doms[i], 0) == 1;
            if ((c->name = strdup(virDomainGetName(doms[i]))) == NULL)
                nomem = true;
            else
                found++;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    if (nomem) {
        vt_clone_status_free(out, found);
        return vt_error_nomem(err);
    }
    qsort(out, found, sizeof(*out), vt_clone_status_cmp);
    *list = out;
    *n = found;
    return 0;
}

int vt_virt_domain_pid(const struct vt_dirs *dirs, const char *name, pid_t *pid, vt_error_t *err)
{
    vt_autofree char *path = vt_path_qemu_pid(dirs, name, err), *text = NULL;
    if (path == NULL)
        return -1;
    if (vt_file_read(path, 64, &text, NULL, err) < 0)
        return vt_error_prefix(err, "cannot find the QEMU process of '%s'", name);
    char *end = NULL;
    long n = strtol(text, &end, 10);
    if (n <= 0 || end == text)
        return vt_error_set(err, 0, "bad pid file '%s'", path);
    *pid = (pid_t)n;
    return 0;
}

int vt_virt_domain_remove(virConnectPtr conn, const char *name, vt_error_t *err)
{
    vt_autodomain virDomainPtr dom = virDomainLookupByName(conn, name);
    if (dom == NULL)
        return vt_error_set_virt(err, "cannot find domain '%s'", name);
    if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
        return vt_error_set_virt(err, "cannot destroy domain '%s'", name);
    unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                     VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
    if (virDomainIsPersistent(dom) == 1 && virDomainUndefineFlags(dom, flags) < 0)
        return vt_error_set_virt(err, "cannot undefine domain '%s'", name);
    return 0;
}

int vt_virt_agent_wait(virDomainPtr dom, int64_t deadline, struct vt_progress *progress,
                       vt_error_t *err)
{
    for (;;) {
        vt_progress_step(progress, "waiting for the guest agent to answer");
        /* A short timeout per ping: the agent may not be listening yet. */
        vt_autofree char *reply = virDomainQemuAgentCommand(dom, "{\"execute\":\"guest-ping\"}", 2, 0);
        if (reply)
            return 0;
        if (virDomainIsActive(dom) != 1)
            return vt_error_set(err, 0, "the domain stopped before its guest agent answered");
        if (vt_clock_ms() >= deadline)
            return vt_error_set_virt(err, "timed out waiting for the guest agent");
        vt_sleep_ms(500);
    }
}
