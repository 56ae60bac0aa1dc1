/* The checks of this host's files: the hook, /dev/kvm and KVM itself, the
 * store, memory, disk and run directories, and free space. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "fileio.h"
#include "meta.h"
#include "store.h"

#define VT_MIB (1024ULL * 1024ULL)
/* The smallest template `create` makes by default, and room for a few. */
#define VT_CHECK_SPACE_FAIL (256 * VT_MIB)
#define VT_CHECK_SPACE_WARN (2048 * VT_MIB)

/* "root", or the uid's number when it has no name. */
static const char *vt_check_user(uid_t uid, char *buf, size_t size)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, size, "%s", pw->pw_name);
    else
        snprintf(buf, size, "%u", (unsigned)uid);
    return buf;
}

int vt_check_hook_file(struct vt_check_ctx *c)
{
    const char *path = c->env->hook;
    char fix[2 * PATH_MAX + 64];
    snprintf(fix, sizeof(fix), "chown root:root %s && chmod 0755 %s", path, path);
    struct stat st;
    if (stat(path, &st) < 0)
        return vt_check_add(c, VT_CHECK_FAIL, "hook file",
                            "install virt-template (the package, or make install) and reload "
                            "libvirtd",
                            "no hook at '%s' (%s): clones cannot start", path, strerror(errno));
    /* libvirtd runs it if any x bit is set (virFileIsExecutable): 0700 is fine. */
    if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
        return vt_check_add(c, VT_CHECK_FAIL, "hook file", fix,
                            "'%s' is not an executable file (mode %04o): libvirtd skips it", path,
                            (unsigned)(st.st_mode & 07777));
    /* libvirtd runs it as root for every domain. */
    if (st.st_uid != 0 || (st.st_mode & 022))
        return vt_check_add(c, VT_CHECK_FAIL, "hook file", fix,
                            "'%s' is owned by uid %u, mode %04o: whoever can write it runs code "
                            "as root",
                            path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
    char target[PATH_MAX] = "";
    c->hook_file_ok = true;
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n > 0)
        target[n] = '\0';
    return vt_check_add(c, VT_CHECK_PASS, "hook file", NULL, "'%s'%s%s: root, mode %04o", path,
                        n > 0 ? " -> " : "", n > 0 ? target : "", (unsigned)(st.st_mode & 07777));
}

/* The QEMU user's groups as libvirt gives them to QEMU (virGetGroupList):
 * the user's primary group from passwd and its supplementary groups, beside
 * the configured group (Debian: libvirt-qemu's primary group is kvm). */
static size_t vt_check_qemu_groups(const struct vt_check_ctx *c, gid_t *groups, int max)
{
    struct passwd *pw = getpwuid(c->qemu_uid);
    int n = max;
    if (pw == NULL || getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
        return 0;
    return (size_t)n;
}

/* libvirtd probes QEMU as root and finds KVM; a QEMU that cannot open
 * /dev/kvm then makes libvirt declare its capabilities stale and re-probe
 * at every domain start, ~60 s each (tests/harness/isolated.sh, fix_kvm). */
static int vt_check_kvm_node(struct vt_check_ctx *c, bool *usable)
{
    const char *dev = c->env->kvm;
    char fix[2 * PATH_MAX + 96];
    snprintf(fix, sizeof(fix),
             "chgrp kvm %s && chmod 0660 %s (udev's 50-udev-default.rules does it at boot)", dev,
             dev);
    struct stat st;
    *usable = false;
    if (stat(dev, &st) < 0)
        return vt_check_add(c, VT_CHECK_WARN, "/dev/kvm",
                            "enable virtualisation in the firmware; modprobe kvm_intel or kvm_amd",
                            "no '%s': guests can only run under TCG (--virt-type qemu, ~10x "
                            "slower)",
                            dev);
    struct group *kvm = getgrnam("kvm");
    gid_t kvm_gid = kvm ? kvm->gr_gid : 0, groups[64];
    struct vt_check_qemu qemu = {.uid = c->qemu_uid, .gid = c->qemu_gid, .groups = groups};
    if (c->qemu_user_known)
        qemu.ngroups = vt_check_qemu_groups(c, groups, (int)VT_N_ELEMENTS(groups));
    enum vt_check_status verdict =
        vt_check_kvm_verdict(&st, kvm ? &kvm_gid : NULL, c->qemu_user_known ? &qemu : NULL);
    unsigned mode = (unsigned)(st.st_mode & 07777);
    struct group *gr = getgrgid(st.st_gid);
    char owner[96];
    snprintf(owner, sizeof(owner), "uid %u, group %s, mode %04o", (unsigned)st.st_uid,
             gr ? gr->gr_name : "?", mode);
    *usable = verdict != VT_CHECK_FAIL;
    if (verdict == VT_CHECK_FAIL)
        return vt_check_add(c, VT_CHECK_FAIL, "/dev/kvm", fix,
                            "%s: the QEMU user (uid %u) cannot open it; libvirt then re-probes "
                            "QEMU at every start (~60 s) and KVM guests fail",
                            owner, (unsigned)c->qemu_uid);
    if (verdict == VT_CHECK_WARN)
        return vt_check_add(c, VT_CHECK_WARN, "/dev/kvm", fix,
                            "%s: not root:kvm 0660 as Debian sets it", owner);
    return vt_check_add(c, VT_CHECK_PASS, "/dev/kvm", NULL, "root:kvm 0660%s",
                        c->qemu_user_known ? ": the QEMU user can open it" : "");
}

int vt_check_kvm(struct vt_check_ctx *c)
{
    bool usable;
    if (vt_check_kvm_node(c, &usable) < 0)
        return -1;
    if (access(c->env->kvm, F_OK) < 0)
        return 0; /* said above */
    long ms = 0;
    vt_autoerror vt_error_t e = NULL;
    const char *tcg = "create templates with --virt-type qemu (TCG), or see dmesg for why KVM "
                      "fails";
    if (vt_kvm_run_test(c->env->kvm, &ms, &e) < 0)
        return vt_check_add(c, VT_CHECK_WARN, "KVM", tcg, "KVM does not run guest code here: %s",
                            e->msg);
    if (c->conn && !c->libvirt_kvm)
        return vt_check_add(c, VT_CHECK_WARN, "KVM", usable ? tcg : "fix /dev/kvm (above)",
                            "a test vCPU ran, but libvirt offers no domain type 'kvm'");
    return vt_check_add(c, VT_CHECK_PASS, "KVM", NULL,
                        "a test vCPU ran to its halt in %ld ms%s (a whole OS may still hang "
                        "under nested virtualisation)",
                        ms, c->conn ? "; libvirt offers domain type 'kvm'" : "");
}

struct vt_check_dir {
    const char *name; /* the item */
    const char *path;
    uid_t uid;
    gid_t gid; /* for the fix's chown */
    mode_t mode;
    bool persistent;     /* must survive a reboot */
    bool qemu_enters;    /* the QEMU user must get through it */
    bool hook_fixes;     /* the hook sets owner and mode at every clone start */
    const char *made_by; /* who makes it when it is missing */
};

static const char *vt_check_fs_name(long type)
{
    static const struct {
        long type;
        const char *name;
    } names[] = {
        {EXT4_SUPER_MAGIC, "ext4"},         {XFS_SUPER_MAGIC, "xfs"},
        {BTRFS_SUPER_MAGIC, "btrfs"},       {TMPFS_MAGIC, "tmpfs"},
        {(long)RAMFS_MAGIC, "ramfs"},       {NFS_SUPER_MAGIC, "nfs"},
        {OVERLAYFS_SUPER_MAGIC, "overlay"}, {0x2fc12fc1, "zfs"},
    };
    for (size_t i = 0; i < VT_N_ELEMENTS(names); i++)
        if (names[i].type == type)
            return names[i].name;
    return "a filesystem";
}

/* path, or the nearest directory above it that exists (what it would be
 * made on). */
static void vt_check_existing(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s", path);
    struct stat st;
    while (stat(out, &st) < 0 && strcmp(out, "/") != 0) {
        char *slash = strrchr(out, '/');
        if (slash == NULL)
            break;
        *(slash == out ? slash + 1 : slash) = '\0';
    }
}

/* Where d is (or would be made): its filesystem's name and whether that
 * keeps files across a reboot. */
static void vt_check_dir_fs(const struct vt_check_dir *d, const char **fs, bool *lasts)
{
    char here[PATH_MAX];
    struct statfs sfs;
    vt_check_existing(d->path, here, sizeof(here));
    *fs = "a filesystem";
    *lasts = true;
    if (statfs(here, &sfs) == 0) {
        *fs = vt_check_fs_name((long)sfs.f_type);
        *lasts = sfs.f_type != TMPFS_MAGIC && sfs.f_type != (typeof(sfs.f_type))RAMFS_MAGIC;
    }
}

static int vt_check_dir_missing(struct vt_check_ctx *c, const struct vt_check_dir *d,
                                const char *fs, bool lasts)
{
    if (d->persistent && !lasts)
        return vt_check_add(c, VT_CHECK_WARN, d->name,
                            "put it on a disk (./configure --with-memdir/--with-diskdir, or a "
                            "mount)",
                            "'%s' is not there yet and would be on %s: templates would be lost at "
                            "reboot",
                            d->path, fs);
    char user[64];
    return vt_check_add(c, VT_CHECK_PASS, d->name, NULL,
                        "'%s' is not there yet (on %s); %s makes it, %s, %04o", d->path, fs,
                        d->made_by, vt_check_user(d->uid, user, sizeof(user)), (unsigned)d->mode);
}

static int vt_check_dir_owner(struct vt_check_ctx *c, const struct vt_check_dir *d,
                              const struct stat *st, bool *done)
{
    char fix[2 * PATH_MAX + 64], has[64], wants[64];
    unsigned mode = (unsigned)(st->st_mode & 07777);
    struct group *gr = getgrgid(d->gid);
    vt_check_user(st->st_uid, has, sizeof(has));
    vt_check_user(d->uid, wants, sizeof(wants));
    snprintf(fix, sizeof(fix), "chown %s:%s %s && chmod %04o %s", wants, gr ? gr->gr_name : "root",
             d->path, (unsigned)d->mode, d->path);
    *done = true;
    if (!S_ISDIR(st->st_mode))
        return vt_check_add(c, VT_CHECK_FAIL, d->name, "remove it, or configure another directory",
                            "'%s' is not a directory (a symlink is refused too)", d->path);
    /* The hook, as root, trusts what is in it. */
    if ((st->st_uid != d->uid && st->st_uid != 0) || (st->st_mode & 022))
        return vt_check_add(c, VT_CHECK_FAIL, d->name, fix,
                            "'%s' is %s, %04o: others could plant files the hook trusts", d->path,
                            has, mode);
    struct vt_meta qemu = {.qemu_uid = c->qemu_uid, .qemu_gid = c->qemu_gid};
    vt_autoerror vt_error_t closed = NULL;
    if (d->qemu_enters && c->qemu_user_known &&
        vt_store_check_reachable(d->path, &qemu, &closed) < 0)
        return vt_check_add(c, VT_CHECK_FAIL, d->name, fix, "%s", closed->msg);
    bool differs = st->st_uid != d->uid || mode != d->mode;
    if (differs && d->hook_fixes)
        return vt_check_add(c, VT_CHECK_PASS, d->name, NULL,
                            "'%s': %s, %04o; the hook makes it %s, %04o at the next clone start",
                            d->path, has, mode, wants, (unsigned)d->mode);
    if (differs)
        return vt_check_add(c, VT_CHECK_WARN, d->name, fix, "'%s' is %s, %04o, not %s, %04o",
                            d->path, has, mode, wants, (unsigned)d->mode);
    *done = false;
    return 0;
}

static int vt_check_one_dir(struct vt_check_ctx *c, const struct vt_check_dir *d)
{
    const char *fs;
    bool lasts, done;
    struct stat st;
    vt_check_dir_fs(d, &fs, &lasts);
    if (lstat(d->path, &st) < 0)
        return vt_check_dir_missing(c, d, fs, lasts);
    int rc = vt_check_dir_owner(c, d, &st, &done);
    if (rc < 0 || done)
        return rc;
    if (d->persistent && !lasts)
        return vt_check_add(c, VT_CHECK_WARN, d->name,
                            "put it on a disk (./configure --with-memdir/--with-diskdir, or a "
                            "mount)",
                            "'%s' is on %s: its templates are lost at reboot", d->path, fs);
    char user[64];
    return vt_check_add(c, VT_CHECK_PASS, d->name, NULL, "'%s': %s, %04o, on %s%s", d->path,
                        vt_check_user(d->uid, user, sizeof(user)), (unsigned)d->mode, fs,
                        d->persistent ? ", survives a reboot" : " (runtime files only)");
}

static int vt_check_space(struct vt_check_ctx *c)
{
    char mem[PATH_MAX], disk[PATH_MAX];
    struct statvfs m, d;
    struct stat ms, ds;
    vt_check_existing(c->dirs->mem, mem, sizeof(mem));
    vt_check_existing(c->dirs->disk, disk, sizeof(disk));
    if (statvfs(mem, &m) < 0 || statvfs(disk, &d) < 0 || stat(mem, &ms) < 0 || stat(disk, &ds) < 0)
        return vt_check_add(c, VT_CHECK_WARN, "free space", "see df", "cannot read '%s' or '%s'",
                            mem, disk);
    unsigned long long free_mem = (unsigned long long)m.f_bavail * m.f_frsize;
    unsigned long long free_disk = (unsigned long long)d.f_bavail * d.f_frsize;
    bool shared = ms.st_dev == ds.st_dev;
    unsigned long long least = free_mem < free_disk ? free_mem : free_disk;
    enum vt_check_status status = least < VT_CHECK_SPACE_FAIL   ? VT_CHECK_FAIL
                                  : least < VT_CHECK_SPACE_WARN ? VT_CHECK_WARN
                                                                : VT_CHECK_PASS;
    const char *fix = status == VT_CHECK_PASS ? NULL
                                              : "free space there: a template needs its RAM size "
                                                "for memory, and a copy of its disks";
    if (shared)
        return vt_check_add(c, status, "free space", fix,
                            "%llu MiB free for template memory and disks ('%s')", free_mem / VT_MIB,
                            mem);
    return vt_check_add(c, status, "free space", fix,
                        "%llu MiB free for template memory ('%s'), %llu MiB for disks ('%s')",
                        free_mem / VT_MIB, mem, free_disk / VT_MIB, disk);
}

int vt_check_dirs(struct vt_check_ctx *c)
{
    const struct vt_dirs *dirs = c->dirs;
    const struct vt_check_dir list[] = {
        {"store", dirs->state, 0, 0, 0711, true, false, false, "virt-template create"},
        {"memory dir", dirs->mem, 0, 0, 0711, true, true, false, "virt-template create"},
        {"disk dir", dirs->disk, 0, 0, 0711, true, true, false, "virt-template create"},
        {"run dir", dirs->run, c->qemu_uid, c->qemu_gid, 0700, false, true, true,
         "the hook, at a clone's start,"},
    };
    for (size_t i = 0; i < VT_N_ELEMENTS(list); i++) {
        /* The run directory is the QEMU user's: unknown without libvirtd. */
        if (list[i].path == dirs->run && !c->qemu_user_known)
            continue;
        if (vt_check_one_dir(c, &list[i]) < 0)
            return -1;
    }
    return vt_check_space(c);
}
