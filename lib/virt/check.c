#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const char *const vt_check_status_names[] = {"PASS", "WARN", "FAIL"};
_Static_assert(VT_N_ELEMENTS(vt_check_status_names) == VT_CHECK_STATUS_LAST,
               "a name for every check status");

const char *vt_check_status_name(enum vt_check_status status)
{
    return status < VT_CHECK_STATUS_LAST ? vt_check_status_names[status] : "FAIL";
}

const struct vt_check_env *vt_check_env_default(void)
{
    static const struct vt_check_env env = {
        .hook = VT_HOOKDIR "/virt-template",
        .apparmor_snippet = VT_APPARMOR_ETC "/abstractions/libvirt-qemu.d/virt-template",
        .apparmor_abstraction = VT_APPARMOR_ETC "/abstractions/libvirt-qemu",
        .apparmor_local = VT_APPARMOR_ETC "/local/abstractions/libvirt-qemu",
        .apparmor_enabled = "/sys/module/apparmor/parameters/enabled",
        .selinux_enforce = "/sys/fs/selinux/enforce",
        .kvm = "/dev/kvm",
        .qemu_log_dir = VT_LIBVIRT_QEMU_LOGDIR,
    };
    return &env;
}

void vt_check_report_clear(struct vt_check_report *report)
{
    for (size_t i = 0; i < report->count; i++) {
        free(report->items[i].message);
        free(report->items[i].fix);
    }
    free(report->items);
    *report = (struct vt_check_report){0};
}

size_t vt_check_report_count(const struct vt_check_report *report, enum vt_check_status status)
{
    size_t n = 0;
    for (size_t i = 0; i < report->count; i++)
        n += report->items[i].status == status;
    return n;
}

enum vt_check_status vt_check_report_result(const struct vt_check_report *report)
{
    enum vt_check_status worst = VT_CHECK_PASS;
    for (size_t i = 0; i < report->count; i++)
        if (report->items[i].status > worst)
            worst = report->items[i].status;
    return worst;
}

void vt_check_report_print(const struct vt_check_report *report, FILE *out)
{
    for (size_t i = 0; i < report->count; i++) {
        const struct vt_check_item *it = &report->items[i];
        fprintf(out, "%s  %-12s %s%s%s\n", vt_check_status_name(it->status), it->name, it->message,
                it->fix ? "; fix: " : "", it->fix ? it->fix : "");
    }
}

json_object *vt_check_report_json(const struct vt_check_report *report)
{
    json_object *o = json_object_new_object(), *list = json_object_new_array();
    for (size_t i = 0; i < report->count; i++) {
        const struct vt_check_item *it = &report->items[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "item", json_object_new_string(it->name));
        json_object_object_add(j, "status",
                               json_object_new_string(vt_check_status_name(it->status)));
        json_object_object_add(j, "message", json_object_new_string(it->message));
        json_object_object_add(j, "fix", it->fix ? json_object_new_string(it->fix) : NULL);
        json_object_array_add(list, j);
    }
    json_object_object_add(
        o, "result", json_object_new_string(vt_check_status_name(vt_check_report_result(report))));
    json_object_object_add(o, "checks", list);
    return o;
}

static int vt_check_grow(struct vt_check_report *r)
{
    if (r->count < r->capacity)
        return 0;
    size_t cap = r->capacity ? r->capacity * 2 : 16;
    struct vt_check_item *items = realloc(r->items, cap * sizeof(*items));
    if (items == NULL)
        return -1;
    r->items = items;
    r->capacity = cap;
    return 0;
}

int vt_check_add(struct vt_check_ctx *c, enum vt_check_status status, const char *name,
                 const char *fix, const char *fmt, ...)
{
    struct vt_check_report *r = c->report;
    char *message = NULL, *fix_copy = fix ? strdup(fix) : NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = vasprintf(&message, fmt, ap);
    va_end(ap);
    if (len < 0 || (fix && fix_copy == NULL) || vt_check_grow(r) < 0) {
        free(len < 0 ? NULL : message);
        free(fix_copy);
        return -1;
    }
    r->items[r->count++] =
        (struct vt_check_item){.name = name, .status = status, .message = message, .fix = fix_copy};
    return 0;
}

bool vt_check_access(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, uid_t st_uid,
                     gid_t st_gid, mode_t st_mode, mode_t want)
{
    if (uid == 0)
        return true; /* QEMU as root: DAC does not stop it */
    if (uid == st_uid)
        return ((st_mode >> 6) & want) == want;
    bool in_group = gid == st_gid;
    for (size_t i = 0; !in_group && i < ngroups; i++)
        in_group = groups[i] == st_gid;
    if (in_group)
        return ((st_mode >> 3) & want) == want;
    return (st_mode & want) == want;
}

enum vt_check_status vt_check_kvm_verdict(const struct stat *st, const gid_t *kvm_gid,
                                          const struct vt_check_qemu *qemu)
{
    if (qemu && !vt_check_access(qemu->uid, qemu->gid, qemu->groups, qemu->ngroups, st->st_uid,
                                 st->st_gid, st->st_mode, 06))
        return VT_CHECK_FAIL;
    bool expected =
        st->st_uid == 0 && kvm_gid && st->st_gid == *kvm_gid && (st->st_mode & 07777) == 0660;
    return expected ? VT_CHECK_PASS : VT_CHECK_WARN;
}

int vt_check_run(virConnectPtr conn, const char *uri, const char *conn_error,
                 const struct vt_dirs *dirs, const struct vt_check_env *env,
                 struct vt_check_report *report, vt_error_t *err)
{
    struct vt_check_ctx c = {.conn = conn, .uri = uri, .dirs = dirs, .env = env, .report = report};
    *report = (struct vt_check_report){0};
    int rc = 0;
    if (conn == NULL)
        rc = vt_check_add(&c, VT_CHECK_FAIL, "libvirtd",
                          "start libvirtd (systemctl start libvirtd), or give -c URI", "%s",
                          conn_error ? conn_error : "no connection");
    /* In this order: each may use what the ones before it learnt. */
    int (*const checks[])(struct vt_check_ctx *) = {
        vt_check_libvirt, vt_check_hook_file, vt_check_hook_run, vt_check_kvm,
        vt_check_dirs,    vt_check_apparmor,  vt_check_selinux,
    };
    for (size_t i = 0; rc == 0 && i < VT_N_ELEMENTS(checks); i++)
        rc = checks[i](&c);
    if (rc < 0) {
        vt_check_report_clear(report);
        return vt_error_nomem(err);
    }
    return 0;
}
