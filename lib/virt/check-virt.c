/* The checks that ask libvirtd: versions and what they enable, the QEMU
 * user and the security drivers, KVM as libvirt sees it, and whether
 * libvirtd really runs our hook. */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "check.h"
#include "cleanup.h"
#include "names.h"
#include "store.h"
#include "versions.h"
#include "virt.h"
#include "xml-metadata.h"

static int vt_check_versions(struct vt_check_ctx *c, const struct vt_versions *v)
{
    char lib[32], daemon[32], qemu[32], min[32];
    vt_version_format(v->library, lib, sizeof(lib));
    vt_version_format(v->daemon, daemon, sizeof(daemon));
    vt_version_format(v->qemu, qemu, sizeof(qemu));
    vt_version_format(VT_LIBVIRT_MIN, min, sizeof(min));
    int rc = v->daemon >= VT_LIBVIRT_MIN && v->library >= VT_LIBVIRT_MIN
                 ? vt_check_add(c, VT_CHECK_PASS, "libvirt", NULL,
                                "libvirtd %s, library %s (>= %s: qemu.d hooks, device state fd "
                                "passing)",
                                daemon, lib, min)
                 : vt_check_add(c, VT_CHECK_FAIL, "libvirt", "upgrade libvirt to 9.0 or later",
                                "libvirtd %s, library %s: older than %s", daemon, lib, min);
    vt_version_format(VT_QEMU_MIN, min, sizeof(min));
    if (rc == 0)
        rc = v->qemu >= VT_QEMU_MIN
                 ? vt_check_add(c, VT_CHECK_PASS, "QEMU", NULL,
                                "%s (>= %s: x-ignore-shared with -incoming defer)", qemu, min)
                 : vt_check_add(c, VT_CHECK_FAIL, "QEMU", "upgrade QEMU to 7.2 or later",
                                "%s: older than %s", qemu, min);
    vt_version_format(VT_QEMU_READONLY_MAPPING, min, sizeof(min));
    if (rc == 0)
        rc = vt_versions_readonly_mapping(v)
                 ? vt_check_add(c, VT_CHECK_PASS, "memory seal", NULL,
                                "QEMU %s opens a template's memory read-only: it is sealed "
                                "root 0440",
                                qemu)
                 : vt_check_add(c, VT_CHECK_WARN, "memory seal",
                                "QEMU >= 8.2 (Debian 13) seals it read-only; README, 'Protecting "
                                "the template', says what remains",
                                "QEMU %s < %s opens a template's memory read-write: it stays the "
                                "QEMU user's (0600)",
                                qemu, min);
    return rc;
}

/* The security models in libvirt's capabilities (<secmodel><model>). */
static void vt_check_security_models(struct vt_check_ctx *c)
{
    vt_autofree char *caps = virConnectGetCapabilities(c->conn);
    xmlDocPtr doc = caps ? xmlReadMemory(caps, (int)strlen(caps), "caps.xml", NULL,
                                         XML_PARSE_NONET | XML_PARSE_NOERROR)
                         : NULL;
    xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
    xmlXPathObjectPtr res =
        ctx ? xmlXPathEvalExpression(BAD_CAST "/capabilities/host/secmodel/model", ctx) : NULL;
    for (int i = 0; res && res->nodesetval && i < res->nodesetval->nodeNr; i++) {
        vt_autofree char *model = (char *)xmlNodeGetContent(res->nodesetval->nodeTab[i]);
        c->apparmor_driver |= model && strcmp(model, "apparmor") == 0;
        c->selinux_driver |= model && strcmp(model, "selinux") == 0;
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
}

static int vt_check_qemu_user(struct vt_check_ctx *c)
{
    vt_autoerror vt_error_t e = NULL;
    if (vt_virt_qemu_user(c->conn, &c->qemu_uid, &c->qemu_gid, &e) < 0)
        return vt_check_add(c, VT_CHECK_WARN, "QEMU user", "see libvirtd's log", "%s", e->msg);
    c->qemu_user_known = true;
    struct passwd *pw = getpwuid(c->qemu_uid);
    struct group *gr = getgrgid(c->qemu_gid);
    char user[64], group[64];
    snprintf(user, sizeof(user), "%s", pw ? pw->pw_name : "?");
    snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "?");
    if (c->qemu_uid == 0)
        return vt_check_add(c, VT_CHECK_WARN, "QEMU user",
                            "set user and group in /etc/libvirt/qemu.conf (Debian: libvirt-qemu, "
                            "kvm)",
                            "QEMU runs as root: a guest that breaks out of QEMU owns the host");
    return vt_check_add(c, VT_CHECK_PASS, "QEMU user", NULL, "QEMU runs as %s:%s (%u:%u)", user,
                        group, (unsigned)c->qemu_uid, (unsigned)c->qemu_gid);
}

int vt_check_libvirt(struct vt_check_ctx *c)
{
    struct vt_versions v;
    vt_autoerror vt_error_t e = NULL;
    if (c->conn == NULL)
        return 0;
    if (vt_virt_versions(c->conn, &v, &e) < 0)
        return vt_check_add(c, VT_CHECK_FAIL, "libvirt",
                            "connect to the QEMU driver (-c qemu:///system)", "%s", e->msg);
    if (vt_check_versions(c, &v) < 0 || vt_check_qemu_user(c) < 0)
        return -1;
    vt_check_security_models(c);
    /* Offered only where libvirtd found KVM usable (its own probe). */
    vt_autofree char *domcaps =
        virConnectGetDomainCapabilities(c->conn, NULL, NULL, NULL, "kvm", 0);
    c->libvirt_kvm = domcaps != NULL;
    return 0;
}

/* A transient domain the hook must refuse at prepare begin, before any
 * QEMU exists: a clone of a template that is not in the store. Started
 * paused and auto-destroyed, so even a libvirtd that skips the hook runs
 * no guest code, and we destroy it at once. */
static char *vt_check_probe_xml(const char *name, const char *template_name)
{
    char *xml = NULL;
    if (asprintf(&xml,
                 "<domain type='qemu'><name>%s</name>"
                 "<title>virt-template check: the hook must refuse this domain</title>"
                 "<memory unit='MiB'>16</memory><os><type>hvm</type></os>"
                 "<metadata><vt:template xmlns:vt='%s' role='clone' name='%s'/></metadata>"
                 "</domain>",
                 name, VT_XML_NS, template_name) < 0)
        return NULL;
    return xml;
}

static int vt_check_hook_refusal(struct vt_check_ctx *c, const char *name, const char *why)
{
    char expected[VT_NAME_MAX + 64];
    snprintf(expected, sizeof(expected), "virt-template: cannot start clone '%s'", name);
    const char *fix = "systemctl reload libvirtd (or kill -HUP the libvirtd of this host)";
    if (strstr(why, expected) == NULL)
        return vt_check_add(c, VT_CHECK_WARN, "hook run", "see libvirtd's log",
                            "cannot tell: a test domain failed otherwise: %s", why);
    /* libvirt names the script it ran in the error. */
    if (strstr(why, c->env->hook) == NULL)
        return vt_check_add(c, VT_CHECK_WARN, "hook run", fix,
                            "libvirtd ran a virt-template hook, not the one at '%s': %s",
                            c->env->hook, why);
    return vt_check_add(c, VT_CHECK_PASS, "hook run", NULL,
                        "libvirtd runs '%s': it refused a test domain at prepare (nothing ran)",
                        c->env->hook);
}

/* libvirt opens a domain's log before the prepare hook: the probe's log
 * is the one trace it leaves. */
static void vt_check_remove_probe_log(const struct vt_check_ctx *c, const char *name)
{
    char log[PATH_MAX];
    snprintf(log, sizeof(log), "%s/%s.log", c->env->qemu_log_dir, name);
    unlink(log);
}

int vt_check_hook_run(struct vt_check_ctx *c)
{
    if (c->conn == NULL)
        return 0;
    char name[VT_NAME_MAX + 1], template_name[VT_NAME_MAX + 1];
    snprintf(name, sizeof(name), "virt-template-check-%ld", (long)getpid());
    snprintf(template_name, sizeof(template_name), "virt-template-check-absent-%ld",
             (long)getpid());
    if (vt_virt_domain_exists(c->conn, name) || vt_store_exists(c->dirs, template_name))
        return vt_check_add(c, VT_CHECK_WARN, "hook run", "run virt-template check again",
                            "cannot tell: domain '%s' or template '%s' exists", name,
                            template_name);
    vt_autofree char *xml = vt_check_probe_xml(name, template_name);
    if (xml == NULL)
        return -1;
    virDomainPtr dom =
        virDomainCreateXML(c->conn, xml, VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);
    if (dom == NULL) {
        /* Copied: the unlink below may reset libvirt's last error. */
        char why[1024];
        snprintf(why, sizeof(why), "%s", virGetLastErrorMessage());
        vt_check_remove_probe_log(c, name);
        return vt_check_hook_refusal(c, name, why);
    }
    virDomainDestroy(dom);
    virDomainFree(dom);
    vt_check_remove_probe_log(c, name);
    /* Reloading libvirtd does not bring back a missing hook. */
    const char *fix = c->hook_file_ok ? "systemctl reload libvirtd (or kill -HUP the libvirtd of "
                                        "this host): it looks for hooks when it starts and on "
                                        "SIGHUP"
                                      : "fix the hook file (above), then systemctl reload "
                                        "libvirtd (or kill -HUP the libvirtd of this host)";
    return vt_check_add(c, VT_CHECK_FAIL, "hook run", fix,
                        "libvirtd started a test domain that the hook refuses: it does not run "
                        "'%s'",
                        c->env->hook);
}
