/* lib/core/hook.h: the hook's handlers against a store in a temporary
 * directory and, for started, the scripted QMP peer (qmp-peer.h) as the
 * clone's QMP socket. */
#include "vt-test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "hook.h"
#include "qmp-peer.h"
#include "store-fixture.h"
#include "store.h"

#define STATE_TEXT "QEVM: device state of template t1"
#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

struct fixture {
    struct vt_store_fixture store; /* t1 saved, t0 booting; RUN not made */
    struct vt_qmp_peer peer;
    char socket[128]; /* RUN/c1.qmp */
};

static void add_booting(struct fixture *f, const char *name)
{
    vt_autofree char *dir = vt_store_fixture_path(f->store.state, name);
    assert_int_equal(mkdir(dir, 0700), 0);
    struct vt_meta m = vt_store_fixture_booting_meta(name);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_save_meta(&f->store.dirs, &m, &err), 0);
}

/* Domain XML as libvirt formats it, with the hardware the saved state
 * needs (machine, memory, vCPUs, devices) and, for a clone, the monitor
 * socket virt-template clone gives it (`socket_of`'s, if not NULL). */
static char *domain_xml(struct fixture *f, const char *name, enum vt_role role, unsigned memory_kib,
                        const char *socket_of)
{
    vt_autofree char *monitor = NULL;
    if (socket_of)
        assert_true(
            asprintf(&monitor,
                     "<qemu:commandline><qemu:arg value='-object'/>"
                     "<qemu:arg value='memory-backend-file,id=vt-ram,size=268435456,"
                     "mem-path=%s/t1/memory,share=off'/><qemu:arg value='-chardev'/>"
                     "<qemu:arg value='socket,id=vt-qmp,path=%s/%s.qmp,server=on,wait=off'/>"
                     "</qemu:commandline>",
                     f->store.mem, f->store.run, socket_of) > 0);
    char *xml = NULL;
    assert_true(asprintf(&xml,
                         "<domain type='kvm' xmlns:qemu='" QEMU_NS "'>\n"
                         "  <name>%s</name>\n"
                         "  <metadata>\n"
                         "    <vt:template xmlns:vt='" VT_XML_NS "' role='%s' name='t1'/>\n"
                         "  </metadata>\n"
                         "  <memory unit='KiB'>%u</memory>\n"
                         "  <vcpu placement='static'>1</vcpu>\n"
                         "  <os>\n"
                         "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
                         "  </os>\n"
                         "  <devices>\n"
                         "    <serial type='pty'>\n"
                         "      <target type='isa-serial' port='0'/>\n"
                         "    </serial>\n"
                         "  </devices>\n"
                         "  %s\n"
                         "</domain>\n",
                         name, vt_role_name(role), memory_kib, monitor ? monitor : "") > 0);
    return xml;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_store_fixture_make(&f->store, "hook");
    vt_store_fixture_add_saved(&f->store, "t1", STATE_TEXT, VT_DIGEST_SHA256, NULL);
    vt_autofree char *live = domain_xml(f, "t1", VT_ROLE_TEMPLATE, 262144, NULL);
    vt_store_fixture_write(f->store.state, "t1/domain.xml", live);
    add_booting(f, "t0");
    snprintf(f->socket, sizeof(f->socket), "%s/c1.qmp", f->store.run);
    f->peer = (struct vt_qmp_peer){.listen_fd = -1, .pid = -1};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vt_qmp_peer_stop(&f->peer);
    vt_store_fixture_remove(&f->store);
    free(f);
    return 0;
}

/* What hook/main.c passes: the domain's name, its XML and our metadata. */
static struct vt_hook_call call_for(struct fixture *f, const char *domain, enum vt_role role,
                                    const char *template_name, const char *xml)
{
    struct vt_hook_call call = {
        .dirs = &f->store.dirs,
        .domain = domain,
        .xml = xml ? xml : "<domain type='kvm'><name>other</name></domain>",
        .md = {.role = role},
    };
    if (template_name)
        snprintf(call.md.template_name, sizeof(call.md.template_name), "%s", template_name);
    return call;
}

static void assert_handler_ok(int (*handler)(const struct vt_hook_call *, vt_error_t *),
                              const struct vt_hook_call *call)
{
    vt_autoerror vt_error_t err = NULL;
    int rc = handler(call, &err);
    if (rc < 0)
        print_error("%s: %s\n", call->domain, err->msg);
    assert_int_equal(rc, 0);
}

static void assert_handler_fails(int (*handler)(const struct vt_hook_call *, vt_error_t *),
                                 const struct vt_hook_call *call, const char *message)
{
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(handler(call, &err), -1);
    vt_test_assert_error(&err, message);
}

static void assert_mode(const char *path, mode_t type, mode_t mode, uid_t uid, gid_t gid)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_int_equal(st.st_mode & S_IFMT, type);
    assert_int_equal(st.st_mode & 07777, mode);
    assert_int_equal(st.st_uid, uid);
    assert_int_equal(st.st_gid, gid);
}

static void test_concerns(void **state)
{
    struct fixture *f = *state;
    const struct vt_dirs *dirs = &f->store.dirs;
    assert_false(vt_hook_concerns(dirs, "<domain type='kvm'><name>web</name></domain>"));
    vt_autofree char *clone = domain_xml(f, "c1", VT_ROLE_CLONE, 262144, "c1");
    assert_true(vt_hook_concerns(dirs, clone));
    /* Any file-backed RAM: it could be a saved template's. */
    assert_true(vt_hook_concerns(dirs, "<domain><qemu:arg value='mem-path=/x/memory'/></domain>"));
}

/* --- prepare begin --- */

/* A clone as virt-template clone makes it: its own monitor socket, its
 * template's hardware. */
static char *clone_xml(struct fixture *f, const char *name)
{
    return domain_xml(f, name, VT_ROLE_CLONE, 262144, name);
}

/* RUN is made for the QEMU user, and a stale socket of the clone removed
 * (QEMU creates it anew). */
static void test_prepare_clone(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *xml = clone_xml(f, "c1");
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "t1", xml);
    assert_handler_ok(vt_hook_prepare, &call);
    assert_mode(f->store.run, S_IFDIR, 0700, getuid(), getgid());
    vt_store_fixture_write(f->store.run, "c1.qmp", "stale");
    assert_int_equal(chmod(f->store.run, 0755), 0);
    assert_handler_ok(vt_hook_prepare, &call);
    assert_mode(f->store.run, S_IFDIR, 0700, getuid(), getgid());
    assert_int_equal(access(f->socket, F_OK), -1);
}

/* As root: RUN belongs to the user in the template's metadata. */
static void test_prepare_clone_owner(void **state)
{
    struct fixture *f = *state;
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_store_load(&f->store.dirs, "t1", &m, &err), 0);
    m.qemu_uid = 4242;
    m.qemu_gid = 4343;
    assert_int_equal(vt_store_save_meta(&f->store.dirs, &m, &err), 0);
    vt_meta_clear(&m);
    vt_autofree char *xml = clone_xml(f, "c1");
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "t1", xml);
    assert_handler_ok(vt_hook_prepare, &call);
    assert_mode(f->store.run, S_IFDIR, 0700, 4242, 4343);
}

static void test_prepare_clone_refusals(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *xml = clone_xml(f, "c1");
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "nope", xml);
    assert_handler_fails(vt_hook_prepare, &call,
                         "cannot start clone 'c1': template 'nope' does not exist");
    call = call_for(f, "c1", VT_ROLE_CLONE, "t0", xml);
    assert_handler_fails(vt_hook_prepare, &call,
                         "cannot start clone 'c1': template 't0' is not saved yet");
    call = call_for(f, "c,1", VT_ROLE_CLONE, "t1", xml);
    assert_handler_fails(vt_hook_prepare, &call, "invalid clone name 'c,1'");
    /* A copy of clone c1 names c1's monitor; an edit changes the hardware. */
    call = call_for(f, "c2", VT_ROLE_CLONE, "t1", xml);
    assert_handler_fails(vt_hook_prepare, &call, "domain 'c2' is a copy of another clone");
    vt_autofree char *edited = domain_xml(f, "c1", VT_ROLE_CLONE, 524288, "c1");
    call = call_for(f, "c1", VT_ROLE_CLONE, "t1", edited);
    assert_handler_fails(vt_hook_prepare, &call, "clone 'c1' no longer matches template 't1'");
    /* QEMU would make an empty file and the clone resume onto zeroes. */
    vt_autofree char *mem = vt_store_fixture_path(f->store.mem, "t1/memory");
    assert_int_equal(truncate(mem, 4096), 0);
    call = call_for(f, "c1", VT_ROLE_CLONE, "t1", xml);
    assert_handler_fails(vt_hook_prepare, &call,
                         "cannot start clone 'c1': template 't1': memory file has 4096 bytes, "
                         "expected 268435456");
    assert_int_equal(unlink(mem), 0);
    assert_handler_fails(vt_hook_prepare, &call, "cannot start clone 'c1': template 't1': memory");
    assert_int_equal(access(f->store.run, F_OK), -1); /* nothing made for a refused clone */
}

/* A template boots once: while booting it may start, once saved never. */
static void test_prepare_template(void **state)
{
    struct fixture *f = *state;
    struct vt_hook_call call = call_for(f, "t0", VT_ROLE_TEMPLATE, "t0", NULL);
    assert_handler_ok(vt_hook_prepare, &call);
    call = call_for(f, "t1", VT_ROLE_TEMPLATE, "t1", NULL);
    assert_handler_fails(vt_hook_prepare, &call,
                         "template 't1' is saved: it cannot boot again (start its clones instead)");
    call = call_for(f, "t9", VT_ROLE_TEMPLATE, "t9", NULL);
    assert_handler_fails(vt_hook_prepare, &call,
                         "cannot start template domain 't9': template 't9' does not exist");
}

static char *xml_sharing(const char *mem_path)
{
    char *xml = NULL;
    assert_true(asprintf(&xml,
                         "<domain><qemu:commandline><qemu:arg value='memory-backend-file,id=m,"
                         "size=1,mem-path=%s,share=on'/></qemu:commandline></domain>",
                         mem_path) > 0);
    return xml;
}

/* Any domain, ours or not, that would write a saved template's memory,
 * however the path is spelt. */
static void test_prepare_refuses_shared_mapping(void **state)
{
    struct fixture *f = *state;
    vt_autofree char *mem = vt_store_fixture_path(f->store.mem, "t1/memory");
    vt_autofree char *saved = xml_sharing(mem);
    struct vt_hook_call call = call_for(f, "other", VT_ROLE_NONE, NULL, saved);
    assert_handler_fails(
        vt_hook_prepare, &call,
        "domain 'other' would map the memory of saved template 't1' with share=on");
    vt_autofree char *link = vt_store_fixture_path(f->store.root, "innocent");
    assert_int_equal(symlink(mem, link), 0);
    vt_autofree char *via_link = xml_sharing(link);
    call = call_for(f, "other", VT_ROLE_NONE, NULL, via_link);
    assert_handler_fails(vt_hook_prepare, &call, "saved template 't1' with share=on");
    /* A booting template maps its own file share=on; other files are not ours. */
    vt_autofree char *booting_dir = vt_store_fixture_path(f->store.mem, "t0");
    assert_int_equal(mkdir(booting_dir, 0700), 0);
    vt_store_fixture_write(booting_dir, "memory", "RAM");
    vt_autofree char *booting_mem = vt_store_fixture_path(f->store.mem, "t0/memory");
    vt_autofree char *booting = xml_sharing(booting_mem);
    call = call_for(f, "t0", VT_ROLE_TEMPLATE, "t0", booting);
    assert_handler_ok(vt_hook_prepare, &call);
    vt_store_fixture_write(f->store.root, "elsewhere", "");
    vt_autofree char *other_mem = vt_store_fixture_path(f->store.root, "elsewhere");
    vt_autofree char *other = xml_sharing(other_mem);
    call = call_for(f, "other", VT_ROLE_NONE, NULL, other);
    assert_handler_ok(vt_hook_prepare, &call);
}

/* --- started begin --- */

static void listen_as_clone(struct fixture *f)
{
    assert_int_equal(mkdir(f->store.run, 0700), 0);
    vt_qmp_peer_listen(&f->peer, f->socket, STATE_TEXT);
}

static void test_started_restores_clone(void **state)
{
    struct fixture *f = *state;
    listen_as_clone(f);
    vt_qmp_peer_start_restore(&f->peer);
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "t1", NULL);
    assert_handler_ok(vt_hook_started, &call);
    vt_qmp_peer_assert_done(&f->peer);
}

/* Only clones are fed: nothing connects for a template or another domain. */
static void test_started_ignores_others(void **state)
{
    struct fixture *f = *state;
    listen_as_clone(f);
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_TEMPLATE, "t0", NULL);
    assert_handler_ok(vt_hook_started, &call);
    call = call_for(f, "c1", VT_ROLE_NONE, NULL, NULL);
    assert_handler_ok(vt_hook_started, &call);
    assert_false(vt_qmp_peer_has_client(&f->peer));
}

static void test_started_refusals(void **state)
{
    struct fixture *f = *state;
    listen_as_clone(f);
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "t0", NULL);
    assert_handler_fails(vt_hook_started, &call, "template 't0' is not saved yet");
    assert_false(vt_qmp_peer_has_client(&f->peer));
    /* A swapped state: nothing after query-migrate reaches QEMU. */
    const struct vt_qmp_peer_step steps[] = {vt_qmp_peer_step_capabilities,
                                             vt_qmp_peer_step_query_fresh};
    vt_qmp_peer_start(&f->peer, VT_QMP_PEER_GREETING, steps, VT_TEST_N(steps));
    vt_store_fixture_write(f->store.state, "t1/state", "QEVM: device state of template t2");
    call = call_for(f, "c1", VT_ROLE_CLONE, "t1", NULL);
    assert_handler_fails(vt_hook_started, &call,
                         "the device state of template 't1' does not match its metadata");
    vt_qmp_peer_assert_done(&f->peer);
}

/* libvirt kills the domain when started fails: say why. */
static void test_started_migration_fails(void **state)
{
    struct fixture *f = *state;
    listen_as_clone(f);
    vt_qmp_peer_start_restore_ending(&f->peer, VT_QMP_PEER_MIGRATION("failed"));
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "t1", NULL);
    assert_handler_fails(vt_hook_started, &call,
                         "cannot restore clone 'c1' from template 't1': incoming migration failed");
    vt_qmp_peer_assert_done(&f->peer);
}

/* --- release end --- */

static void test_release(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(mkdir(f->store.run, 0700), 0);
    vt_store_fixture_write(f->store.run, "c1.qmp", "");
    vt_store_fixture_write(f->store.run, "web.qmp", "");
    struct vt_hook_call call = call_for(f, "c1", VT_ROLE_CLONE, "t1", NULL);
    assert_handler_ok(vt_hook_release, &call);
    assert_int_equal(access(f->socket, F_OK), -1);
    assert_handler_ok(vt_hook_release, &call); /* already gone */
    call = call_for(f, "web", VT_ROLE_NONE, NULL, NULL);
    assert_handler_ok(vt_hook_release, &call);
    vt_autofree char *web = vt_store_fixture_path(f->store.run, "web.qmp");
    assert_int_equal(access(web, F_OK), 0); /* not ours */
}

static void test_release_refusals(void **state)
{
    struct fixture *f = *state;
    struct vt_hook_call call = call_for(f, "../c1", VT_ROLE_CLONE, "t1", NULL);
    assert_handler_fails(vt_hook_release, &call, "invalid clone name '../c1'");
    assert_int_equal(mkdir(f->store.run, 0700), 0);
    assert_int_equal(mkdir(f->socket, 0700), 0);
    vt_store_fixture_write(f->socket, "x", "");
    call = call_for(f, "c1", VT_ROLE_CLONE, "t1", NULL);
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_hook_release(&call, &err), -1);
    assert_int_equal(err->errnum, EISDIR);
    vt_test_assert_error(&err, "cannot remove '");
}

#define HOOK_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

static const struct CMUnitTest root_tests[] = {
    HOOK_TEST(test_prepare_clone_owner),
};

static const struct CMUnitTest tests[] = {
    HOOK_TEST(test_concerns),
    HOOK_TEST(test_prepare_clone),
    HOOK_TEST(test_prepare_clone_refusals),
    HOOK_TEST(test_prepare_template),
    HOOK_TEST(test_prepare_refuses_shared_mapping),
    HOOK_TEST(test_started_restores_clone),
    HOOK_TEST(test_started_ignores_others),
    HOOK_TEST(test_started_refusals),
    HOOK_TEST(test_started_migration_fails),
    HOOK_TEST(test_release),
    HOOK_TEST(test_release_refusals),
};

int main(void)
{
    struct CMUnitTest all[VT_TEST_N(root_tests) + VT_TEST_N(tests)];
    size_t n = 0;
    if (geteuid() == 0) {
        for (size_t i = 0; i < VT_TEST_N(root_tests); i++)
            all[n++] = root_tests[i];
    } else {
        printf("# left out %zu tests that need root (chown)\n", VT_TEST_N(root_tests));
    }
    for (size_t i = 0; i < VT_TEST_N(tests); i++)
        all[n++] = tests[i];
    return vt_test_run_group("hook", all, n);
}
