/* lib/virt/check.h without libvirtd: the report and its text and JSON,
 * the access and /dev/kvm verdicts, and the checks of the hook file,
 * /dev/kvm and the directories against files in a temporary directory. */
#include "vt-test.h"

#include <limits.h>
#include <linux/magic.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"

/* nobody: the owner of no test file. */
#define OTHER_UID 65534
#define OTHER_GID 65534

/* Debian's libvirt-qemu: uid 64055, configured group libvirt-qemu, and in
 * group kvm (107). */
#define QEMU_UID 64055
#define QEMU_GID 64055
#define KVM_GID 107

struct fixture {
    char dir[64];
    char *paths[16]; /* made by path_in() */
    size_t npaths;
    struct vt_check_env env;
    struct vt_dirs dirs;
    struct vt_check_report report;
    struct vt_check_ctx ctx;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_test_make_tmpdir(f->dir, sizeof(f->dir), "check");
    f->env = *vt_check_env_default();
    f->ctx = (struct vt_check_ctx){.dirs = &f->dirs, .env = &f->env, .report = &f->report};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vt_check_report_clear(&f->report);
    vt_test_remove_tree(f->dir);
    for (size_t i = 0; i < f->npaths; i++)
        free(f->paths[i]);
    free(f);
    return 0;
}

/* DIR/rel, until the teardown. */
static const char *path_in(struct fixture *f, const char *rel)
{
    char *path = NULL;
    assert_true(f->npaths < VT_N_ELEMENTS(f->paths));
    assert_true(asprintf(&path, "%s/%s", f->dir, rel) > 0);
    f->paths[f->npaths++] = path;
    return path;
}

/* What the checks call uid: its name, or its number. */
static const char *user_name(uid_t uid, char *buf, size_t size)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, size, "%s", pw->pw_name);
    else
        snprintf(buf, size, "%u", (unsigned)uid);
    return buf;
}

static const char *make_file(struct fixture *f, const char *rel, mode_t mode)
{
    const char *path = path_in(f, rel);
    FILE *file = fopen(path, "we");
    assert_non_null(file);
    assert_int_equal(fputs("#!/bin/sh\n", file) >= 0, 1);
    assert_int_equal(fclose(file), 0);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static const char *make_dir(struct fixture *f, const char *rel, mode_t mode)
{
    const char *path = path_in(f, rel);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_int_equal(chmod(path, mode), 0); /* whatever the umask */
    return path;
}

/* The one item called `name`; fails the test if there is none or more. */
static const struct vt_check_item *find_item(const struct vt_check_report *r, const char *name)
{
    const struct vt_check_item *found = NULL;
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->items[i].name, name) != 0)
            continue;
        if (found)
            fail_msg("two items '%s'", name);
        found = &r->items[i];
    }
    if (found == NULL)
        fail_msg("no item '%s'", name);
    return found;
}

/* Item `name` has `status`, exactly `message`, and a fix containing `fix`
 * (NULL: no fix, as for a PASS). */
static void assert_item(const struct vt_check_report *r, const char *name,
                        enum vt_check_status status, const char *message, const char *fix)
{
    const struct vt_check_item *it = find_item(r, name);
    if (it->status != status)
        print_error("'%s' is %s: %s\n", name, vt_check_status_name(it->status), it->message);
    assert_string_equal(vt_check_status_name(it->status), vt_check_status_name(status));
    assert_string_equal(it->message, message);
    if (fix == NULL)
        assert_null(it->fix);
    else
        vt_test_assert_contains(it->fix, fix);
}

static void test_status_names(void **state)
{
    assert_string_equal(vt_check_status_name(VT_CHECK_PASS), "PASS");
    assert_string_equal(vt_check_status_name(VT_CHECK_WARN), "WARN");
    assert_string_equal(vt_check_status_name(VT_CHECK_FAIL), "FAIL");
    assert_string_equal(vt_check_status_name(VT_CHECK_STATUS_LAST), "FAIL");
}

static void test_report_counts_and_worst(void **state)
{
    struct fixture *f = *state;
    assert_string_equal(vt_check_status_name(vt_check_report_result(&f->report)), "PASS");
    assert_int_equal(vt_check_add(&f->ctx, VT_CHECK_PASS, "a", NULL, "%d ok", 1), 0);
    assert_int_equal(vt_check_add(&f->ctx, VT_CHECK_WARN, "b", "do b", "b is %s", "odd"), 0);
    assert_string_equal(vt_check_status_name(vt_check_report_result(&f->report)), "WARN");
    for (int i = 0; i < 40; i++) /* past the first allocation */
        assert_int_equal(vt_check_add(&f->ctx, VT_CHECK_FAIL, "c", "do c", "c%d", i), 0);
    assert_int_equal(f->report.count, 42);
    assert_int_equal(vt_check_report_count(&f->report, VT_CHECK_PASS), 1);
    assert_int_equal(vt_check_report_count(&f->report, VT_CHECK_WARN), 1);
    assert_int_equal(vt_check_report_count(&f->report, VT_CHECK_FAIL), 40);
    assert_string_equal(vt_check_status_name(vt_check_report_result(&f->report)), "FAIL");
    assert_string_equal(f->report.items[0].message, "1 ok");
    assert_null(f->report.items[0].fix);
    assert_string_equal(f->report.items[1].message, "b is odd");
    assert_string_equal(f->report.items[1].fix, "do b");
    assert_string_equal(f->report.items[41].message, "c39");
    vt_check_report_clear(&f->report);
    assert_int_equal(f->report.count, 0);
    assert_null(f->report.items);
}

static void add_three(struct fixture *f)
{
    assert_int_equal(vt_check_add(&f->ctx, VT_CHECK_PASS, "hook file", NULL, "'%s': root",
                                  "/etc/libvirt/hooks/qemu.d/virt-template"),
                     0);
    assert_int_equal(
        vt_check_add(&f->ctx, VT_CHECK_WARN, "memory seal", "upgrade QEMU", "QEMU %s", "7.2"), 0);
    assert_int_equal(
        vt_check_add(&f->ctx, VT_CHECK_FAIL, "/dev/kvm", "chmod 0660 /dev/kvm", "mode %04o", 0600),
        0);
}

static void test_text(void **state)
{
    struct fixture *f = *state;
    add_three(f);
    vt_autofree char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    vt_check_report_print(&f->report, out);
    assert_int_equal(fclose(out), 0);
    assert_string_equal(text, "PASS  hook file    '/etc/libvirt/hooks/qemu.d/virt-template': root\n"
                              "WARN  memory seal  QEMU 7.2; fix: upgrade QEMU\n"
                              "FAIL  /dev/kvm     mode 0600; fix: chmod 0660 /dev/kvm\n");
}

static void test_json(void **state)
{
    struct fixture *f = *state;
    json_object *empty = vt_check_report_json(&f->report);
    assert_string_equal(json_object_to_json_string_ext(empty, JSON_C_TO_STRING_PLAIN),
                        "{\"result\":\"PASS\",\"checks\":[]}");
    json_object_put(empty);
    add_three(f);
    json_object *o = vt_check_report_json(&f->report);
    assert_string_equal(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        "{\"result\":\"FAIL\",\"checks\":["
        "{\"item\":\"hook file\",\"status\":\"PASS\","
        "\"message\":\"'/etc/libvirt/hooks/qemu.d/virt-template': root\",\"fix\":null},"
        "{\"item\":\"memory seal\",\"status\":\"WARN\",\"message\":\"QEMU 7.2\","
        "\"fix\":\"upgrade QEMU\"},"
        "{\"item\":\"/dev/kvm\",\"status\":\"FAIL\",\"message\":\"mode 0600\","
        "\"fix\":\"chmod 0660 /dev/kvm\"}]}");
    json_object_put(o);
}

static const gid_t qemu_groups[] = {KVM_GID, QEMU_GID};

static bool qemu_may(uid_t st_uid, gid_t st_gid, mode_t mode, mode_t want)
{
    return vt_check_access(QEMU_UID, QEMU_GID, qemu_groups, VT_N_ELEMENTS(qemu_groups), st_uid,
                           st_gid, mode, want);
}

static void test_access(void **state)
{
    assert_true(qemu_may(0, KVM_GID, 0660, 06));         /* a supplementary group */
    assert_false(qemu_may(0, KVM_GID, 0600, 06));        /* ... without group bits */
    assert_false(qemu_may(0, KVM_GID, 0640, 06));        /* read is not enough */
    assert_true(qemu_may(0, QEMU_GID, 0060, 06));        /* the configured group */
    assert_false(qemu_may(0, 0, 0660, 06));              /* root's group: not ours */
    assert_true(qemu_may(0, 0, 0666, 06));               /* others */
    assert_true(qemu_may(QEMU_UID, 0, 0600, 06));        /* the owner's bits ... */
    assert_false(qemu_may(QEMU_UID, KVM_GID, 0066, 06)); /* ... and only those */
    assert_true(qemu_may(0, KVM_GID, 0710, 01));         /* entering a directory */
    assert_false(qemu_may(0, 0, 0700, 01));
    assert_false(vt_check_access(QEMU_UID, QEMU_GID, NULL, 0, 0, KVM_GID, 0660, 06));
    assert_true(vt_check_access(0, 0, NULL, 0, OTHER_UID, OTHER_GID, 0, 06)); /* root */
}

static enum vt_check_status kvm_verdict(uid_t st_uid, gid_t st_gid, mode_t mode, bool have_kvm,
                                        const struct vt_check_qemu *qemu)
{
    struct stat st = {.st_uid = st_uid, .st_gid = st_gid, .st_mode = S_IFCHR | mode};
    const gid_t kvm_gid = KVM_GID;
    return vt_check_kvm_verdict(&st, have_kvm ? &kvm_gid : NULL, qemu);
}

static void test_kvm_verdict(void **state)
{
    const struct vt_check_qemu qemu = {QEMU_UID, QEMU_GID, qemu_groups, VT_N_ELEMENTS(qemu_groups)};
    const struct vt_check_qemu root = {0, 0, NULL, 0};
    assert_int_equal(kvm_verdict(0, KVM_GID, 0660, true, &qemu), VT_CHECK_PASS);
    assert_int_equal(kvm_verdict(0, KVM_GID, 0600, true, &qemu), VT_CHECK_FAIL);
    assert_int_equal(kvm_verdict(0, 0, 0660, true, &qemu), VT_CHECK_FAIL);
    /* Open to the QEMU user, but not as Debian sets it. */
    assert_int_equal(kvm_verdict(0, KVM_GID, 0666, true, &qemu), VT_CHECK_WARN);
    assert_int_equal(kvm_verdict(0, 0, 0666, true, &qemu), VT_CHECK_WARN);
    assert_int_equal(kvm_verdict(QEMU_UID, KVM_GID, 0660, true, &qemu), VT_CHECK_WARN);
    assert_int_equal(kvm_verdict(0, KVM_GID, 0666, false, &qemu), VT_CHECK_WARN);
    /* No QEMU user known (no libvirtd), or QEMU as root: cannot FAIL. */
    assert_int_equal(kvm_verdict(0, KVM_GID, 0600, true, NULL), VT_CHECK_WARN);
    assert_int_equal(kvm_verdict(0, KVM_GID, 0660, true, NULL), VT_CHECK_PASS);
    assert_int_equal(kvm_verdict(0, KVM_GID, 0600, true, &root), VT_CHECK_WARN);
}

static void run_hook_file(struct fixture *f, const char *path)
{
    vt_check_report_clear(&f->report);
    f->env.hook = path;
    f->ctx.hook_file_ok = false;
    assert_int_equal(vt_check_hook_file(&f->ctx), 0);
    /* What the hook run item's fix goes by. */
    assert_int_equal(f->ctx.hook_file_ok, f->report.items[0].status == VT_CHECK_PASS);
}

static void test_hook_file_refused(void **state)
{
    struct fixture *f = *state;
    char message[PATH_MAX + 128], fix[2 * PATH_MAX + 64];
    const char *missing = path_in(f, "absent");
    run_hook_file(f, missing);
    snprintf(message, sizeof(message),
             "no hook at '%s' (No such file or directory): clones cannot start", missing);
    assert_item(&f->report, "hook file", VT_CHECK_FAIL, message,
                "install virt-template (the package, or make install) and reload libvirtd");

    const char *plain = make_file(f, "plain", 0644);
    run_hook_file(f, plain);
    snprintf(message, sizeof(message),
             "'%s' is not an executable file (mode 0644): libvirtd skips it", plain);
    snprintf(fix, sizeof(fix), "chown root:root %s && chmod 0755 %s", plain, plain);
    assert_item(&f->report, "hook file", VT_CHECK_FAIL, message, fix);

    const char *dir = make_dir(f, "dir", 0755);
    run_hook_file(f, dir);
    snprintf(message, sizeof(message),
             "'%s' is not an executable file (mode 0755): libvirtd skips it", dir);
    snprintf(fix, sizeof(fix), "chown root:root %s && chmod 0755 %s", dir, dir);
    assert_item(&f->report, "hook file", VT_CHECK_FAIL, message, fix);

    const char *writable = make_file(f, "writable", 0775);
    run_hook_file(f, writable);
    snprintf(message, sizeof(message),
             "'%s' is owned by uid %u, mode 0775: whoever can write it runs code as root", writable,
             (unsigned)geteuid());
    snprintf(fix, sizeof(fix), "chown root:root %s && chmod 0755 %s", writable, writable);
    assert_item(&f->report, "hook file", VT_CHECK_FAIL, message, fix);
}

/* root: the hook files are root's. */
static void test_hook_file_root(void **state)
{
    struct fixture *f = *state;
    char message[2 * PATH_MAX + 64];
    const char *hook = make_file(f, "hook", 0755);
    run_hook_file(f, hook);
    snprintf(message, sizeof(message), "'%s': root, mode 0755", hook);
    assert_item(&f->report, "hook file", VT_CHECK_PASS, message, NULL);

    /* libvirtd runs a hook with any x bit (virFileIsExecutable), as root. */
    const char *own = make_file(f, "own", 0700);
    run_hook_file(f, own);
    snprintf(message, sizeof(message), "'%s': root, mode 0700", own);
    assert_item(&f->report, "hook file", VT_CHECK_PASS, message, NULL);

    const char *link = path_in(f, "link");
    assert_int_equal(symlink(hook, link), 0);
    run_hook_file(f, link);
    snprintf(message, sizeof(message), "'%s' -> %s: root, mode 0755", link, hook);
    assert_item(&f->report, "hook file", VT_CHECK_PASS, message, NULL);

    assert_int_equal(chown(hook, OTHER_UID, 0), 0);
    run_hook_file(f, hook);
    snprintf(message, sizeof(message),
             "'%s' is owned by uid %u, mode 0755: whoever can write it runs code as root", hook,
             OTHER_UID);
    assert_item(&f->report, "hook file", VT_CHECK_FAIL, message, "chown root:root");
}

static void run_kvm(struct fixture *f, const char *path)
{
    vt_check_report_clear(&f->report);
    f->env.kvm = path;
    assert_int_equal(vt_check_kvm(&f->ctx), 0);
}

static void test_kvm_missing(void **state)
{
    struct fixture *f = *state;
    const char *missing = path_in(f, "kvm");
    run_kvm(f, missing);
    char message[PATH_MAX + 96];
    snprintf(message, sizeof(message),
             "no '%s': guests can only run under TCG (--virt-type qemu, ~10x slower)", missing);
    assert_item(&f->report, "/dev/kvm", VT_CHECK_WARN, message,
                "enable virtualisation in the firmware; modprobe kvm_intel or kvm_amd");
    assert_int_equal(f->report.count, 1); /* no KVM run without the node */
}

/* A file the QEMU user (not its owner, not in its group) cannot open in place of /dev/kvm: the node
 * FAILs, and the test vCPU cannot run on a file. */
static void test_kvm_closed(void **state)
{
    struct fixture *f = *state;
    const char *kvm = make_file(f, "kvm", 0600);
    f->ctx.qemu_user_known = true;
    f->ctx.qemu_uid = QEMU_UID;
    f->ctx.qemu_gid = QEMU_GID;
    run_kvm(f, kvm);
    const struct vt_check_item *node = find_item(&f->report, "/dev/kvm");
    assert_string_equal(vt_check_status_name(node->status), "FAIL");
    char part[128], fix[2 * PATH_MAX + 96];
    snprintf(part, sizeof(part), "uid %u, group ", (unsigned)geteuid());
    assert_true(strncmp(node->message, part, strlen(part)) == 0);
    snprintf(part, sizeof(part),
             ", mode 0600: the QEMU user (uid %u) cannot open it; libvirt then re-probes QEMU "
             "at every start (~60 s) and KVM guests fail",
             QEMU_UID);
    vt_test_assert_contains(node->message, part);
    snprintf(fix, sizeof(fix),
             "chgrp kvm %s && chmod 0660 %s (udev's 50-udev-default.rules does it at boot)", kvm,
             kvm);
    assert_string_equal(node->fix, fix);
    assert_item(&f->report, "KVM", VT_CHECK_WARN,
                "KVM does not run guest code here: KVM API version -1, not 12",
                "create templates with --virt-type qemu (TCG)");
}

/* /dev/shm/vt-test-check-XXXXXX, or a skip where /dev/shm is no tmpfs. */
static void make_shm_dir(char *dir, size_t size)
{
    struct statfs sfs;
    if (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
        skip();
    snprintf(dir, size, "/dev/shm/vt-test-check-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void run_dirs(struct fixture *f, const char *state, const char *mem, const char *disk)
{
    vt_check_report_clear(&f->report);
    f->dirs = (struct vt_dirs){.state = state, .mem = mem, .disk = disk, .run = path_in(f, "run")};
    assert_int_equal(vt_check_dirs(&f->ctx), 0);
}

static void test_dirs_refused(void **state)
{
    struct fixture *f = *state;
    char message[PATH_MAX + 128], fix[2 * PATH_MAX + 64], user[32], shm[64];
    const char *open_dir = make_dir(f, "open", 0777);
    const char *link = path_in(f, "link");
    assert_int_equal(symlink(open_dir, link), 0);
    make_shm_dir(shm, sizeof(shm));
    char disk[sizeof(shm) + 16];
    snprintf(disk, sizeof(disk), "%s/disks", shm);
    run_dirs(f, open_dir, link, disk);
    rmdir(shm);
    snprintf(message, sizeof(message), "'%s' is %s, 0777: others could plant files the hook trusts",
             open_dir, user_name(geteuid(), user, sizeof(user)));
    snprintf(fix, sizeof(fix), "chown root:root %s && chmod 0711 %s", open_dir, open_dir);
    assert_item(&f->report, "store", VT_CHECK_FAIL, message, fix);
    snprintf(message, sizeof(message), "'%s' is not a directory (a symlink is refused too)", link);
    assert_item(&f->report, "memory dir", VT_CHECK_FAIL, message,
                "remove it, or configure another directory");
    snprintf(message, sizeof(message),
             "'%s' is not there yet and would be on tmpfs: templates would be lost at reboot",
             disk);
    assert_item(&f->report, "disk dir", VT_CHECK_WARN, message,
                "put it on a disk (./configure --with-memdir/--with-diskdir, or a mount)");
    find_item(&f->report, "free space");
    assert_int_equal(f->report.count, 4); /* no run dir: no QEMU user known */
}

static const char *fs_name_of(const char *path)
{
    struct statfs sfs;
    assert_int_equal(statfs(path, &sfs), 0);
    if (sfs.f_type == TMPFS_MAGIC)
        skip(); /* the temporary directory must be on a disk */
    switch (sfs.f_type) {
    case EXT4_SUPER_MAGIC: return "ext4";
    case XFS_SUPER_MAGIC: return "xfs";
    case BTRFS_SUPER_MAGIC: return "btrfs";
    case OVERLAYFS_SUPER_MAGIC: return "overlay";
    default: return "a filesystem";
    }
}

/* root: the store's directories are root's. */
static void test_dirs_root(void **state)
{
    struct fixture *f = *state;
    char message[PATH_MAX + 160], shm[64], user[32];
    const char *fs = fs_name_of(f->dir);
    assert_int_equal(chmod(f->dir, 0711), 0); /* the QEMU user gets through, as /var/lib */
    const char *store = make_dir(f, "store", 0711);
    const char *mem = make_dir(f, "mem", 0755);
    const char *absent = path_in(f, "absent/disks");
    make_shm_dir(shm, sizeof(shm));
    assert_int_equal(chmod(shm, 0711), 0);
    f->ctx.qemu_user_known = true;
    f->ctx.qemu_uid = OTHER_UID;
    f->ctx.qemu_gid = OTHER_GID;
    run_dirs(f, store, mem, absent);
    snprintf(message, sizeof(message), "'%s': root, 0711, on %s, survives a reboot", store, fs);
    assert_item(&f->report, "store", VT_CHECK_PASS, message, NULL);
    snprintf(message, sizeof(message), "'%s' is root, 0755, not root, 0711", mem);
    assert_item(&f->report, "memory dir", VT_CHECK_WARN, message, "chmod 0711");
    snprintf(message, sizeof(message),
             "'%s' is not there yet (on %s); virt-template create makes it, root, 0711", absent,
             fs);
    assert_item(&f->report, "disk dir", VT_CHECK_PASS, message, NULL);
    snprintf(message, sizeof(message),
             "'%s/run' is not there yet (on %s); the hook, at a clone's start, makes it, %s, 0700",
             f->dir, fs, user_name(OTHER_UID, user, sizeof(user)));
    assert_item(&f->report, "run dir", VT_CHECK_PASS, message, NULL);

    /* On tmpfs, and closed to the QEMU user. */
    assert_int_equal(chmod(mem, 0700), 0);
    run_dirs(f, shm, mem, store);
    rmdir(shm);
    snprintf(message, sizeof(message), "'%s' is on tmpfs: its templates are lost at reboot", shm);
    assert_item(&f->report, "store", VT_CHECK_WARN, message, "put it on a disk");
    snprintf(message, sizeof(message),
             "directory '%s' is not reachable by the QEMU user (uid %u): '%s' is closed to it", mem,
             OTHER_UID, mem);
    assert_item(&f->report, "memory dir", VT_CHECK_FAIL, message, "chmod 0711");
}

#define CHECK_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

static const struct CMUnitTest root_tests[] = {
    CHECK_TEST(test_hook_file_root),
    CHECK_TEST(test_dirs_root),
};

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_status_names),
    CHECK_TEST(test_report_counts_and_worst),
    CHECK_TEST(test_text),
    CHECK_TEST(test_json),
    cmocka_unit_test(test_access),
    cmocka_unit_test(test_kvm_verdict),
    CHECK_TEST(test_hook_file_refused),
    CHECK_TEST(test_kvm_missing),
    CHECK_TEST(test_kvm_closed),
    CHECK_TEST(test_dirs_refused),
};

int main(void)
{
    struct CMUnitTest all[VT_TEST_N(root_tests) + VT_TEST_N(tests)];
    size_t n = 0;
    if (geteuid() == 0) {
        for (size_t i = 0; i < VT_TEST_N(root_tests); i++)
            all[n++] = root_tests[i];
    } else {
        printf("# left out %zu tests that need root (chown, root's directories)\n",
               VT_TEST_N(root_tests));
    }
    for (size_t i = 0; i < VT_TEST_N(tests); i++)
        all[n++] = tests[i];
    return vt_test_run_group("check", all, n);
}
