/* `virt-template check`: is this host ready for templates and clones? One
 * item per thing that can be wrong, each PASS, WARN or FAIL with a message
 * saying what was found and, unless it passed, a one-line fix. Like
 * virt-host-validate, for what virt-template needs beyond libvirt. */
#ifndef VT_CHECK_H
#define VT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <json-c/json.h>
#include <libvirt/libvirt.h>

#include "error.h"
#include "paths.h"

enum vt_check_status { VT_CHECK_PASS, VT_CHECK_WARN, VT_CHECK_FAIL, VT_CHECK_STATUS_LAST };

/* "PASS", "WARN", "FAIL". */
const char *vt_check_status_name(enum vt_check_status status);

struct vt_check_item {
    const char *name; /* a short fixed label: "hook run", "/dev/kvm" */
    enum vt_check_status status;
    char *message; /* what was found, one line */
    char *fix;     /* one line; NULL for a PASS */
};

struct vt_check_report {
    struct vt_check_item *items;
    size_t count, capacity;
};

void vt_check_report_clear(struct vt_check_report *report);

/* How many items have `status`. */
size_t vt_check_report_count(const struct vt_check_report *report, enum vt_check_status status);

/* The worst status of the report. */
enum vt_check_status vt_check_report_result(const struct vt_check_report *report);

/* One line per item: "STATUS  NAME         MESSAGE", then "; fix: FIX"
 * unless it passed. */
void vt_check_report_print(const struct vt_check_report *report, FILE *out);

/* {"result": the worst status, "checks": [{"item", "status", "message",
 * "fix" (null for a PASS)}, ...]}: the caller puts it. */
json_object *vt_check_report_json(const struct vt_check_report *report);

/* The host files the checks read, besides the configured directories:
 * fixed at build time, replaced by the unit tests. */
struct vt_check_env {
    const char *hook;                 /* our hook, where libvirtd runs it */
    const char *apparmor_snippet;     /* abstractions/libvirt-qemu.d/virt-template */
    const char *apparmor_abstraction; /* libvirt's abstractions/libvirt-qemu */
    const char *apparmor_local;       /* its site part, local/abstractions/libvirt-qemu */
    const char *apparmor_enabled;     /* the kernel's AppArmor switch ("Y") */
    const char *selinux_enforce;      /* SELinux's mode ("1", "0"); absent: off */
    const char *kvm;                  /* /dev/kvm */
    const char *qemu_log_dir;         /* libvirt's QEMU logs: NAME.log */
};

const struct vt_check_env *vt_check_env_default(void);

/* What the checks learn from libvirtd and pass to each other. */
struct vt_check_ctx {
    virConnectPtr conn; /* NULL: no libvirtd (the report says why) */
    const char *uri;
    const struct vt_dirs *dirs;
    const struct vt_check_env *env;
    struct vt_check_report *report;
    bool qemu_user_known; /* from libvirt's DAC label */
    uid_t qemu_uid;
    gid_t qemu_gid;
    bool apparmor_driver; /* libvirt confines QEMU with AppArmor */
    bool selinux_driver;  /* ... with SELinux */
    bool libvirt_kvm;     /* libvirt offers domain type 'kvm' */
    bool hook_file_ok;    /* the hook file passed */
};

/* Adds an item (fix NULL for a PASS); -1 only when out of memory. */
int vt_check_add(struct vt_check_ctx *c, enum vt_check_status status, const char *name,
                 const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Runs every check: libvirtd's (conn may be NULL; conn_error then says why
 * it could not connect to uri) and this host's. Fails only when out of
 * memory: the findings are items, not errors. */
int vt_check_run(virConnectPtr conn, const char *uri, const char *conn_error,
                 const struct vt_dirs *dirs, const struct vt_check_env *env,
                 struct vt_check_report *report, vt_error_t *err);

/* check-virt.c: what libvirtd says, and whether it runs our hook. */
int vt_check_libvirt(struct vt_check_ctx *c);
int vt_check_hook_run(struct vt_check_ctx *c);

/* check-host.c: the hook file, /dev/kvm and KVM, the directories and
 * their free space. */
int vt_check_hook_file(struct vt_check_ctx *c);
int vt_check_kvm(struct vt_check_ctx *c);
int vt_check_dirs(struct vt_check_ctx *c);

/* check-confine.c: AppArmor and SELinux. */
int vt_check_apparmor(struct vt_check_ctx *c);
int vt_check_selinux(struct vt_check_ctx *c);

/* Whether user uid (primary group gid, with its supplementary groups) may
 * read and write a file of owner st_uid, group st_gid and mode st_mode
 * (want: the access bits, 06 for rw, 01 to enter a directory). */
bool vt_check_access(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, uid_t st_uid,
                     gid_t st_gid, mode_t st_mode, mode_t want);

/* The QEMU user as libvirt starts QEMU: its uid, the configured group, and
 * the groups of its passwd entry. */
struct vt_check_qemu {
    uid_t uid;
    gid_t gid;
    const gid_t *groups;
    size_t ngroups;
};

/* The verdict on /dev/kvm as st describes it: FAIL if the QEMU user (NULL:
 * not known) cannot open it read-write, WARN if it is not root:kvm 0660
 * (kvm_gid NULL: this host has no group kvm), else PASS. */
enum vt_check_status vt_check_kvm_verdict(const struct stat *st, const gid_t *kvm_gid,
                                          const struct vt_check_qemu *qemu);

/* check-kvm.c: runs a real-mode vCPU through `dev` (in a child, bounded)
 * until it halts; *ms gets how long it took. -1 with *err saying why not. */
int vt_kvm_run_test(const char *dev, long *ms, vt_error_t *err);

#endif
