/* Golden-file tests of the domain-XML transforms (lib/xml.h). */
#include "vt-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "xml.h"

#define MIB (1024ULL * 1024ULL)

/* A small valid domain with `inner` added to it. */
#define DOMAIN(inner)                                                                              \
    "<domain type='kvm'><name>d</name><memory unit='MiB'>64</memory>" inner "</domain>"

static const char *const vt_ns_decl = "xmlns:vt='" VT_XML_NS "'";

/* --- vt_xml_make_template --- */

/* vt_xml_make_template, keeping only the RAM size of its plan. */
static int make_template(const char *xml, const char *name, char **out, uint64_t *bytes,
                         vt_error_t *err)
{
    struct vt_xml_template_plan plan;
    int rc = vt_xml_make_template(xml, name, &vt_test_dirs, out, &plan, err);
    *bytes = plan.memory_bytes;
    vt_xml_template_plan_clear(&plan);
    return rc;
}

static char *make_template_from(const char *input_file, const char *name, uint64_t *bytes)
{
    char *in = vt_test_read_file(input_file);
    char *out = NULL;
    vt_autoerror vt_error_t err = NULL;
    int rc = make_template(in, name, &out, bytes, &err);
    if (rc < 0)
        print_error("make_template: %s\n", err->msg);
    free(in);
    assert_int_equal(rc, 0);
    return out;
}

static void test_template_kernel(void **state)
{
    uint64_t bytes = 0;
    char *out = make_template_from("template-kernel.in.xml", "tmpl", &bytes);
    assert_int_equal(bytes, 256 * MIB);
    vt_test_assert_golden(out, "template-kernel.out.xml");
    /* What the golden file must show, checked once more by name. */
    vt_test_assert_lacks(out, "<uuid>");
    vt_test_assert_lacks(out, "currentMemory");
    vt_test_assert_contains(out, "<name>tmpl</name>");
    vt_test_assert_contains(out, "mem-path=/dev/shm/virt-template/tmpl/memory,share=on");
    vt_test_assert_contains(out, "size=268435456,");
    vt_test_assert_contains(out, "migration.store-global-state=off");
    vt_test_assert_contains(out, "role=\"template\" name=\"tmpl\"");
    /* The devices every clone's identity needs (docs/design.md). */
    vt_test_assert_contains(out, "<genid/>");
    vt_test_assert_contains(out, "<source mode=\"bind\" path=\"/run/virt-template/tmpl.identity\"/>");
    vt_test_assert_contains(out, "<target type=\"virtio\" name=\"org.virt-template.identity.0\"/>");
    free(out);
}

static void test_template_minimal(void **state)
{
    uint64_t bytes = 0;
    char *out = make_template_from("template-minimal.in.xml", "base-1", &bytes);
    assert_int_equal(bytes, 512 * MIB); /* no unit: KiB */
    vt_test_assert_golden(out, "template-minimal.out.xml");
    vt_test_assert_lacks(out, "id='7'");
    vt_test_assert_lacks(out, "id=\"7\"");
    vt_test_assert_lacks(out, "/old/memory");
    vt_test_assert_contains(out, "<memballoon model=\"none\"/>");
    vt_test_assert_contains(out, "name=opt/org.example/role,string=seed");
    vt_test_assert_contains(out, "TMPDIR");
    free(out);
}

/* What virt-install makes: a qcow2 and a raw disk, a CD-ROM, UEFI, a
 * balloon, a pty console, the agent channel. */
static void test_template_disks(void **state)
{
    char *in = vt_test_read_file("template-disks.in.xml");
    char *out = NULL;
    struct vt_xml_template_plan plan;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_xml_make_template(in, "deb", &vt_test_dirs, &out, &plan, &err), 0);
    vt_test_assert_golden(out, "template-disks.out.xml");
    /* The writable disks are copied, in their format; the CD-ROM is not. */
    assert_int_equal(plan.ndisks, 2);
    assert_string_equal(plan.disks[0].target, "vda");
    assert_string_equal(plan.disks[0].format, "qcow2");
    assert_string_equal(plan.disks[0].source, "/var/lib/libvirt/images/deb12.qcow2");
    assert_string_equal(plan.disks[1].format, "raw");
    vt_test_assert_contains(out, "<source file=\"/var/lib/virt-template/.disks/deb/base-vda.qcow2\"/>");
    vt_test_assert_contains(out, "<source file=\"/var/lib/virt-template/.disks/deb/base-vdb.raw\"/>");
    vt_test_assert_contains(out, "<source file=\"/var/lib/libvirt/images/debian-12.iso\"/>");
    /* UEFI variables of its own, copied from the source's. */
    assert_true(plan.has_nvram);
    assert_string_equal(plan.nvram_source, "/var/lib/libvirt/qemu/nvram/deb12_VARS.fd");
    vt_test_assert_contains(out, ">/var/lib/virt-template/.disks/deb/nvram.fd</nvram>");
    /* The balloon goes, with a notice; the pty console gets a log. */
    assert_true(plan.balloon_removed);
    vt_test_assert_contains(out, "<memballoon model=\"none\"/>");
    vt_test_assert_lacks(out, "model=\"virtio\"/>\n    <memballoon");
    vt_test_assert_contains(out, "<log file=\"/var/log/libvirt/qemu/deb-console.log\" append=\"off\"/>");
    vt_xml_template_plan_clear(&plan);
    free(out);
    free(in);
}

/* A clone of that template runs on overlays and variables of its own. */
static void test_clone_disks(void **state)
{
    char *in = vt_test_read_file("template-disks.in.xml");
    char *live = NULL, *out = NULL;
    struct vt_xml_template_plan plan;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_xml_make_template(in, "deb", &vt_test_dirs, &live, &plan, &err), 0);
    assert_int_equal(vt_xml_make_clone(live, "deb", "deb-1", &vt_test_dirs, 1024 * MIB,
                                       VT_RAM_PRIVATE, &out, &err),
                     0);
    vt_test_assert_golden(out, "clone-disks.out.xml");
    vt_test_assert_contains(
        out, "<source file=\"/var/lib/virt-template/.disks/deb/clones/deb-1-vda.qcow2\"/>");
    vt_test_assert_contains(
        out, "<source file=\"/var/lib/virt-template/.disks/deb/clones/deb-1-vdb.qcow2\"/>");
    vt_test_assert_lacks(out, "base-v");
    vt_test_assert_contains(out, "<source file=\"/var/lib/libvirt/images/debian-12.iso\"/>");
    vt_test_assert_contains(out, ">/var/lib/virt-template/.disks/deb/clones/deb-1-nvram.fd</nvram>");
    vt_test_assert_contains(out, "path=\"/run/virt-template/deb-1.identity\"");
    vt_test_assert_lacks(out, "deb.identity");
    vt_xml_template_plan_clear(&plan);
    free(out);
    free(live);
    free(in);
}

struct unit_case {
    const char *memory;
    uint64_t bytes;
};

/* Sizes are rounded up to whole 4 KiB pages, as QEMU does. */
static const struct unit_case unit_cases[] = {
    {"<memory>1024</memory>", 1024 * 1024},
    {"<memory unit='KiB'>1</memory>", 4096},
    {"<memory unit='k'>8</memory>", 8192},
    {"<memory unit='b'>4097</memory>", 8192},
    {"<memory unit='bytes'>4096</memory>", 4096},
    {"<memory unit='KB'>1000</memory>", 1003520},
    {"<memory unit='MB'>1</memory>", 1003520},
    {"<memory unit='M'>3</memory>", 3 * MIB},
    {"<memory unit='MiB'>256</memory>", 256 * MIB},
    {"<memory unit='G'>1</memory>", 1024 * MIB},
    {"<memory unit='GiB'>2</memory>", 2048 * MIB},
    {"<memory unit='GB'>1</memory>", 1000001536},
    {"<memory unit='TiB'>1</memory>", 1024 * 1024 * MIB},
    {"<memory unit='tb'>1</memory>", 1000000000000ULL},
};

static void test_template_memory_units(void **state)
{
    for (size_t i = 0; i < VT_TEST_N(unit_cases); i++) {
        char xml[256];
        snprintf(xml, sizeof(xml), "<domain type='kvm'><name>d</name>%s</domain>",
                 unit_cases[i].memory);
        char *out = NULL;
        uint64_t bytes = 0;
        vt_autoerror vt_error_t err = NULL;
        int rc = make_template(xml, "t", &out, &bytes, &err);
        if (rc < 0 || bytes != unit_cases[i].bytes)
            print_error("%s: rc %d, %llu bytes, %s\n", unit_cases[i].memory, rc,
                        (unsigned long long)bytes, err ? err->msg : "");
        assert_int_equal(rc, 0);
        assert_int_equal(bytes, unit_cases[i].bytes);
        free(out);
    }
}

/* An external entity is neither fetched nor expanded (the XML is user input
 * and the hook runs as root). */
static void test_template_entity_not_expanded(void **state)
{
    const char *xml = "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                      "<domain type='kvm'><name>d</name><memory>1024</memory>"
                      "<description>&x;</description></domain>";
    char *out = NULL;
    uint64_t bytes = 0;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(make_template(xml, "t", &out, &bytes, &err), 0);
    vt_test_assert_lacks(out, "root:");
    free(out);
}

struct error_case {
    const char *xml;
    const char *name; /* template name, "t" when NULL */
    const char *message;
};

static void test_template_refused(void **state)
{
    const struct error_case *c = *state;
    char *out = NULL;
    uint64_t bytes = 0;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(
        make_template(c->xml, c->name ? c->name : "t", &out, &bytes, &err),
        -1);
    assert_null(out);
    vt_test_assert_error(&err, c->message);
}

static const struct error_case refuse_memory_backing = {
    DOMAIN("<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"), NULL,
    "domain XML has its own <memoryBacking>; virt-template provides the guest RAM"};
static const struct error_case refuse_hugepages = {
    DOMAIN("<memoryBacking><hugepages/></memoryBacking>"), NULL,
    "domain XML uses hugepages; templates need file-backed RAM"};
static const struct error_case refuse_numa = {
    DOMAIN("<cpu><numa><cell id='0' cpus='0' memory='65536' unit='KiB'/></numa></cpu>"), NULL,
    "domain XML defines NUMA cells"};
static const struct error_case refuse_max_memory = {
    DOMAIN("<maxMemory slots='16' unit='KiB'>4194304</maxMemory>"), NULL,
    "domain XML allows memory hotplug (<maxMemory>)"};
static const struct error_case refuse_memory_device = {
    DOMAIN("<devices><memory model='dimm'><target><size unit='KiB'>524288</size>"
           "<node>0</node></target></memory></devices>"),
    NULL, "domain XML has a <memory> device"};
#define DISK(attrs, inner)                                                                         \
    DOMAIN("<devices><disk " attrs "><target dev='vda' bus='virtio'/>" inner "</disk></devices>")
static const struct error_case refuse_shareable_disk = {
    DISK("type='file' device='disk'", "<source file='/srv/a.img'/><shareable/>"), NULL,
    "disk 'vda' is <shareable/>; clones cannot share a writable disk"};
static const struct error_case refuse_network_disk = {
    DISK("type='network' device='disk'", "<source protocol='rbd' name='pool/img'/>"), NULL,
    "disk 'vda' is a network disk; templates need file-backed disks"};
static const struct error_case refuse_block_disk = {
    DISK("type='block' device='disk'", "<source dev='/dev/sdz'/>"), NULL,
    "disk 'vda' is a block device; templates need file-backed disks"};
static const struct error_case refuse_lun = {
    DISK("type='file' device='lun'", "<source file='/srv/a.img'/>"), NULL,
    "disk 'vda' is a SCSI LUN"};
static const struct error_case refuse_disk_format = {
    DISK("type='file' device='disk'", "<driver name='qemu' type='vmdk'/><source file='/srv/a.vmdk'/>"),
    NULL, "disk 'vda' is in format 'vmdk'; templates take raw or qcow2"};
static const struct error_case refuse_disk_no_source = {
    DISK("type='file' device='disk'", ""), NULL, "disk 'vda' has no source file"};
static const struct error_case refuse_tpm = {
    DOMAIN("<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices>"),
    NULL, "domain XML has an emulated TPM"};
static const struct error_case refuse_hostdev = {
    DOMAIN("<devices><hostdev mode='subsystem' type='pci'/></devices>"), NULL,
    "passes a host device through"};
static const struct error_case refuse_managed = {
    DOMAIN("<metadata><vt:template xmlns:vt='" VT_XML_NS "' role='clone' name='x'/></metadata>"),
    NULL, "domain XML is already managed by virt-template"};
static const struct error_case refuse_malformed = {"<domain type='kvm'><name>d</name>", NULL,
                                                   "malformed XML"};
static const struct error_case refuse_empty = {"", NULL, "malformed XML"};
static const struct error_case refuse_network = {"<network><name>default</name></network>", NULL,
                                                 "XML is not a libvirt <domain> definition"};
static const struct error_case refuse_namespaced_root = {
    "<domain xmlns='urn:example'><name>d</name><memory>1</memory></domain>", NULL,
    "XML is not a libvirt <domain> definition"};
static const struct error_case refuse_no_memory = {"<domain type='kvm'><name>d</name></domain>",
                                                   NULL, "domain XML has no <memory> element"};
static const struct error_case refuse_bad_unit = {
    "<domain type='kvm'><name>d</name><memory unit='parsecs'>1</memory></domain>", NULL,
    "unknown memory unit 'parsecs'"};
static const struct error_case refuse_zero_memory = {
    "<domain type='kvm'><name>d</name><memory>0</memory></domain>", NULL,
    "invalid <memory> value '0'"};
static const struct error_case refuse_bad_number = {
    "<domain type='kvm'><name>d</name><memory>12abc</memory></domain>", NULL,
    "invalid <memory> value '12abc'"};
static const struct error_case refuse_huge_memory = {
    "<domain type='kvm'><name>d</name><memory unit='TiB'>99999999999</memory></domain>", NULL,
    "invalid <memory> value '99999999999'"};
/* Page rounding must not wrap to 0; strtoull would take "-1" as 2^64-1. */
static const struct error_case refuse_wrapping_memory = {
    "<domain type='kvm'><name>d</name><memory unit='b'>18446744073709551615</memory></domain>",
    NULL, "invalid <memory> value '18446744073709551615'"};
static const struct error_case refuse_negative_memory = {
    "<domain type='kvm'><name>d</name><memory unit='b'>-4096</memory></domain>", NULL,
    "invalid <memory> value '-4096'"};
static const struct error_case refuse_bad_name = {DOMAIN(""), "../x",
                                                  "invalid template name '../x'"};

/* --- vt_xml_make_clone --- */

static char *make_clone_mapped(const char *live, const char *clone, enum vt_ram_mapping mapping)
{
    char *out = NULL;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_xml_make_clone(live, "tmpl", clone, &vt_test_dirs, 256 * MIB, mapping, &out, &err);
    if (rc < 0)
        print_error("make_clone: %s\n", err->msg);
    assert_int_equal(rc, 0);
    return out;
}

static char *make_clone_of(const char *live, const char *clone)
{
    return make_clone_mapped(live, clone, VT_RAM_PRIVATE);
}

static void test_clone_live(void **state)
{
    char *live = vt_test_read_file("clone-live.in.xml");
    char *out = make_clone_of(live, "web1");
    free(live);
    vt_test_assert_golden(out, "clone-live.out.xml");
    /* Nothing of the template's live run may reach a clone (docs/design.md, Flows: clone). */
    const char *gone[] = {"id=\"5\"",          "<uuid>",  "seclabel", "<mac ",    "vnet0",
                          "/dev/pts/",         "tty=",    "<alias",   "share=on", "tmpl-console",
                          "role=\"template\"", "b6a7d4c2"};
    for (size_t i = 0; i < VT_TEST_N(gone); i++)
        vt_test_assert_lacks(out, gone[i]);
    const char *present[] = {
        "<name>web1</name>",
        "<genid/>",
        "<log file=\"/var/log/libvirt/qemu/web1-console.log\" append=\"off\"/>",
        "memory-backend-file,id=vt-ram,size=268435456,mem-path=/dev/shm/virt-template/tmpl/"
        "memory,share=off",
        "<qemu:arg value=\"-chardev\"/>",
        "socket,id=vt-qmp,path=/run/virt-template/web1.qmp,server=on,wait=off",
        "<qemu:arg value=\"-mon\"/>",
        "<qemu:arg value=\"chardev=vt-qmp,mode=control\"/>",
        "<qemu:arg value=\"-incoming\"/>\n    <qemu:arg value=\"defer\"/>",
        "role=\"clone\" name=\"tmpl\"",
        "machine=\"pc-q35-7.2\"",
        "slot=\"0x1f\"",
        "<name>web1</name>\n  <title>virt-template clone of 'tmpl'</title>\n  <description>A "
        "clone of virt-template template 'tmpl'.",
        "'virt-template detach web1' makes this an ordinary domain.</description>",
    };
    for (size_t i = 0; i < VT_TEST_N(present); i++)
        vt_test_assert_contains(out, present[i]);
    free(out);
}

/* A source domain's own title and description do not describe a clone:
 * each clone has one of each, ours. */
static void test_clone_replaces_title(void **state)
{
    char *out =
        make_clone_of(DOMAIN("<title>my web VM</title><description>prod</description>"), "c1");
    vt_test_assert_lacks(out, "my web VM");
    vt_test_assert_lacks(out, "prod");
    vt_test_assert_contains(out, "<title>virt-template clone of 'tmpl'</title>");
    const char *first = strstr(out, "<title>");
    assert_non_null(first);
    assert_null(strstr(first + 1, "<title>"));
    assert_null(strstr(strstr(out, "<description>") + 1, "<description>"));
    free(out);
}

/* SLIRP is private to each QEMU: a user-mode NIC keeps the template's MAC,
 * to which the migrated lease and the forwards are bound; others get new. */
static void test_clone_keeps_user_mode_mac(void **state)
{
    char *out = make_clone_of(
        DOMAIN("<devices><interface type='user'><mac address='52:54:00:aa:00:01'/></interface>"
               "<interface type='network'><mac address='52:54:00:aa:00:02'/>"
               "<source network='default'/></interface></devices>"),
        "c1");
    vt_test_assert_contains(out, "52:54:00:aa:00:01");
    vt_test_assert_lacks(out, "52:54:00:aa:00:02");
    free(out);
}

static char *detach(const char *clone_xml)
{
    char *out = NULL;
    vt_autoerror vt_error_t err = NULL;
    int rc =
        vt_xml_make_detached(clone_xml, "tmpl", "c1", &vt_test_dirs, "/images", NULL, &out, &err);
    if (rc < 0)
        print_error("make_detached: %s\n", err->msg);
    assert_int_equal(rc, 0);
    return out;
}

/* A detached clone is nobody's clone: our title and description go with
 * the tie to the template, unless the user gave it a title of their own. */
static void test_detach_undescribes(void **state)
{
    char *clone = make_clone_of(DOMAIN(""), "c1");
    char *out = detach(clone);
    vt_test_assert_lacks(out, "<title>");
    vt_test_assert_lacks(out, "<description>");
    vt_test_assert_lacks(out, "virt-template");
    free(out);
    /* virsh desc --title: the user's title, same length as ours here. */
    char *retitled = strdup(clone);
    char *t = strstr(retitled, "virt-template clone of 'tmpl'");
    assert_non_null(t);
    memcpy(t, "the user's own title for c1...", strlen("virt-template clone of 'tmpl'"));
    out = detach(retitled);
    vt_test_assert_contains(out, "<title>the user's own title for c1..</title>");
    vt_test_assert_contains(out, "<description>A clone of");
    free(out);
    free(retitled);
    free(clone);
}

/* QEMU >= 8.2: the same clone, with the file opened read-only. */
static void test_clone_readonly_mapping(void **state)
{
    char *live = vt_test_read_file("clone-live.in.xml");
    char *out = make_clone_mapped(live, "web1", VT_RAM_PRIVATE_READONLY);
    free(live);
    vt_test_assert_contains(out, "mem-path=/dev/shm/virt-template/tmpl/memory,share=off,"
                                 "readonly=on,rom=off\"");
    vt_test_assert_lacks(out, "share=on");
    free(out);
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The template's own arguments are replaced, not doubled. */
static void test_clone_of_template_output(void **state)
{
    uint64_t bytes = 0;
    char *tmpl = make_template_from("template-kernel.in.xml", "tmpl", &bytes);
    char *out = make_clone_of(tmpl, "c1");
    assert_int_equal(count(out, "value=\"-object\""), 1);
    assert_int_equal(count(out, "value=\"-machine\""), 1);
    assert_int_equal(count(out, "value=\"-global\""), 1);
    assert_int_equal(count(out, "value=\"-incoming\""), 1);
    assert_int_equal(count(out, "<vt:template"), 1);
    assert_int_equal(count(out, "<memballoon"), 1);
    /* seed-console.log became tmpl-console.log in the template, then c1-console.log. */
    vt_test_assert_contains(out, "/var/log/libvirt/qemu/c1-console.log");
    /* Cloning the clone's XML again keeps one set of our arguments. */
    char *again = make_clone_of(out, "c2");
    assert_int_equal(count(again, "value=\"-chardev\""), 1);
    assert_int_equal(count(again, "value=\"-incoming\""), 1);
    vt_test_assert_contains(again, "path=/run/virt-template/c2.qmp,");
    free(again);
    free(out);
    free(tmpl);
}

static void test_clone_refused(void **state)
{
    char *out = NULL;
    vt_autoerror vt_error_t err = NULL;
    const char *ok = DOMAIN("");
    assert_int_equal(
        vt_xml_make_clone(ok, "tmpl", "a,b", &vt_test_dirs, 64 * MIB, VT_RAM_PRIVATE, &out, &err),
        -1);
    vt_test_assert_error(&err, "invalid clone name 'a,b'");
    assert_int_equal(
        vt_xml_make_clone(ok, "../t", "c", &vt_test_dirs, 64 * MIB, VT_RAM_PRIVATE, &out, &err),
        -1);
    vt_test_assert_error(&err, "invalid template name '../t'");
    assert_int_equal(vt_xml_make_clone("<domain>", "tmpl", "c", &vt_test_dirs, 64 * MIB,
                                       VT_RAM_PRIVATE, &out, &err),
                     -1);
    vt_test_assert_error(&err, "malformed XML");
    assert_null(out);
}

/* --- vt_xml_fill_kernel_base --- */

static const struct vt_xml_kernel_params kernel_params = {
    .name = "seed-1",
    .virt_type = "qemu",
    .kernel = "/srv/seed/vmlinuz-6.1",
    .initrd = "/srv/seed/initrd & more.img",
    .cmdline = "console=ttyS0 panic=-1 vt.ready=<ready>",
    .memory_mib = 512,
    .vcpus = 2,
    .console_log = "/var/log/libvirt/qemu/seed-1-console.log",
};

static void test_kernel_base(void **state)
{
    char *base = vt_test_read_file(VT_TEST_XML_TEMPLATES "/kernel-initrd.xml");
    char *out = NULL;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_xml_fill_kernel_base(base, &kernel_params, &out, &err);
    if (rc < 0)
        print_error("fill_kernel_base: %s\n", err->msg);
    free(base);
    assert_int_equal(rc, 0);
    vt_test_assert_golden(out, "kernel-base.out.xml");
    vt_test_assert_contains(out, "<domain type=\"qemu\">");
    vt_test_assert_contains(out, "<memory unit=\"MiB\">512</memory>");
    vt_test_assert_contains(out, "<log file=\"/var/log/libvirt/qemu/seed-1-console.log\"");
    vt_test_assert_contains(out, "initrd &amp; more.img");
    vt_test_assert_contains(out, "vt.ready=&lt;ready&gt;");
    free(out);
}

/* The base's XML round-trips into a template. */
static void test_kernel_base_makes_template(void **state)
{
    char *base = vt_test_read_file(VT_TEST_XML_TEMPLATES "/kernel-initrd.xml");
    char *filled = NULL, *out = NULL;
    uint64_t bytes = 0;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_xml_fill_kernel_base(base, &kernel_params, &filled, &err), 0);
    assert_int_equal(make_template(filled, "seed-1", &out, &bytes, &err), 0);
    assert_int_equal(bytes, 512 * MIB);
    free(out);
    free(filled);
    free(base);
}

static void test_kernel_base_missing_element(void **state)
{
    const char *base = "<domain type='kvm'><name>x</name><memory unit='MiB'>1</memory>"
                       "<vcpu>1</vcpu><os><kernel/><cmdline/></os></domain>";
    char *out = NULL;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_xml_fill_kernel_base(base, &kernel_params, &out, &err), -1);
    vt_test_assert_error(&err, "base XML has no '/domain/os/initrd'");
    assert_null(out);
}

/* --- vt_xml_read_metadata --- */

static void assert_metadata(const char *xml, enum vt_role role, const char *name)
{
    struct vt_xml_metadata md;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_xml_read_metadata(xml, &md, &err);
    if (rc < 0)
        print_error("read_metadata: %s\n", err->msg);
    assert_int_equal(rc, 0);
    assert_int_equal(md.role, role);
    assert_string_equal(md.template_name, name);
}

static void test_metadata_of_outputs(void **state)
{
    char *tmpl = vt_test_read_file("template-kernel.out.xml");
    char *clone = vt_test_read_file("clone-live.out.xml");
    assert_metadata(tmpl, VT_ROLE_TEMPLATE, "tmpl");
    assert_metadata(clone, VT_ROLE_CLONE, "tmpl");
    free(clone);
    free(tmpl);
}

static void test_metadata_absent(void **state)
{
    assert_metadata(DOMAIN(""), VT_ROLE_NONE, "");
    /* Someone else's metadata is not ours. */
    assert_metadata(DOMAIN("<metadata><x:template xmlns:x='urn:other' role='clone' name='t'/>"
                           "</metadata>"),
                    VT_ROLE_NONE, "");
}

static void test_metadata_prefix_independent(void **state)
{
    /* libvirt may reformat the element with another prefix: the namespace counts. */
    assert_metadata(DOMAIN("<metadata><q:template xmlns:q='" VT_XML_NS "' role='clone' "
                           "name='base.v2'/></metadata>"),
                    VT_ROLE_CLONE, "base.v2");
}

static void assert_metadata_error(const char *xml, const char *message)
{
    struct vt_xml_metadata md;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_xml_read_metadata(xml, &md, &err), -1);
    vt_test_assert_error(&err, message);
}

static void test_metadata_errors(void **state)
{
    char xml[512];
    snprintf(xml, sizeof(xml),
             DOMAIN("<metadata><vt:template %s role='seed' name='t'/></metadata>"), vt_ns_decl);
    assert_metadata_error(xml, "virt-template metadata has an unknown role 'seed'");
    snprintf(xml, sizeof(xml), DOMAIN("<metadata><vt:template %s name='t'/></metadata>"),
             vt_ns_decl);
    assert_metadata_error(xml, "unknown role ''");
    snprintf(xml, sizeof(xml),
             DOMAIN("<metadata><vt:template %s role='clone' name='../../etc'/></metadata>"),
             vt_ns_decl);
    assert_metadata_error(xml, "virt-template metadata: invalid template name '../../etc'");
    snprintf(xml, sizeof(xml), DOMAIN("<metadata><vt:template %s role='clone'/></metadata>"),
             vt_ns_decl);
    assert_metadata_error(xml, "virt-template metadata: template name must not be empty");
    assert_metadata_error("not xml", "malformed XML");
}

/* The element alone, as virDomainGetMetadata returns it. */
static void test_metadata_element(void **state)
{
    static const char *const ok[] = {
        "<template role=\"clone\" name=\"tmpl\"/>",
        "<template xmlns=\"" VT_XML_NS "\" role=\"clone\" name=\"tmpl\"/>\n",
    };
    for (size_t i = 0; i < VT_TEST_N(ok); i++) {
        struct vt_xml_metadata md;
        vt_autoerror vt_error_t err = NULL;
        assert_int_equal(vt_xml_read_metadata_element(ok[i], &md, &err), 0);
        assert_int_equal(md.role, VT_ROLE_CLONE);
        assert_string_equal(md.template_name, "tmpl");
    }
    struct vt_xml_metadata md;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(
        vt_xml_read_metadata_element("<template role='template' name='a.b'/>", &md, &err), 0);
    assert_int_equal(md.role, VT_ROLE_TEMPLATE);
    static const char *const bad[][2] = {
        {"<other role='clone' name='t'/>", "virt-template metadata is not a <template> element"},
        {"<template", "virt-template metadata is not a <template> element"},
        {"", "virt-template metadata is not a <template> element"},
        {"<template role='golden' name='t'/>", "unknown role 'golden'"},
        {"<template role='clone' name='a/b'/>",
         "virt-template metadata: invalid template name 'a/b'"},
    };
    for (size_t i = 0; i < VT_TEST_N(bad); i++) {
        assert_int_equal(vt_xml_read_metadata_element(bad[i][0], &md, &err), -1);
        vt_test_assert_error(&err, bad[i][1]);
    }
}

/* --- vt_xml_console_file --- */

static void assert_console(const char *xml, const char *path)
{
    vt_autoerror vt_error_t err = NULL;
    char *found = vt_xml_console_file(xml, &err);
    if (found == NULL)
        print_error("console_file: %s\n", err->msg);
    assert_non_null(found);
    assert_string_equal(found, path);
    free(found);
}

static void test_console_file(void **state)
{
    char *clone = vt_test_read_file("clone-live.out.xml");
    assert_console(clone, "/var/log/libvirt/qemu/web1-console.log");
    free(clone);
    assert_console(DOMAIN("<devices><serial type='file'><source path='/tmp/s.log'/>"
                          "</serial></devices>"),
                   "/tmp/s.log");
    assert_console(DOMAIN("<devices><console type='pty'><log file='/tmp/c.log'/>"
                          "</console></devices>"),
                   "/tmp/c.log");
    /* The serial log comes before a file source, and an empty log counts as none. */
    assert_console(DOMAIN("<devices><serial type='file'><source path='/tmp/src.log'/>"
                          "<log file='/tmp/log.log'/></serial></devices>"),
                   "/tmp/log.log");
    assert_console(DOMAIN("<devices><serial type='pty'><log file=''/></serial>"
                          "<console type='file'><source path='/tmp/con.log'/></console>"
                          "</devices>"),
                   "/tmp/con.log");
}

static void test_console_file_none(void **state)
{
    vt_autoerror vt_error_t err = NULL;
    assert_null(vt_xml_console_file(DOMAIN("<devices><serial type='pty'/></devices>"), &err));
    vt_test_assert_error(&err, "domain has no file-backed serial console to watch");
    assert_null(vt_xml_console_file("<domain", &err));
    vt_test_assert_error(&err, "malformed XML");
}

/* --- vt_xml_renamed_file_path --- */

static void test_clone_file_path(void **state)
{
    static const char *const cases[][2] = {
        {"/var/log/libvirt/qemu/tmpl-console.log", "/var/log/libvirt/qemu/web1-console.log"},
        {"/var/log/tmpl.log", "/var/log/web1.log"},
        {"/var/log/tmpl_serial", "/var/log/web1_serial"},
        {"/var/log/tmpl", "/var/log/web1"},
        {"tmpl-x", "web1-x"},
        {"/var/log/tmplx.log", "/var/log/web1-tmplx.log"},
        {"/var/log/other.log", "/var/log/web1-other.log"},
        {"/srv/tmpl/serial.log", "/srv/tmpl/web1-serial.log"},
        {"/var/log/TMPL.log", "/var/log/web1-TMPL.log"},
        {"console.log", "web1-console.log"},
    };
    for (size_t i = 0; i < VT_TEST_N(cases); i++) {
        char *out = vt_xml_renamed_file_path(cases[i][0], "tmpl", "web1");
        assert_non_null(out);
        if (strcmp(out, cases[i][1]) != 0)
            print_error("'%s' became '%s'\n", cases[i][0], out);
        assert_string_equal(out, cases[i][1]);
        free(out);
    }
}

#define REFUSAL(name, c)                                                                           \
    {                                                                                              \
        "template refuses " name, test_template_refused, NULL, NULL, (void *)&c                    \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_kernel),
        cmocka_unit_test(test_template_minimal),
        cmocka_unit_test(test_template_disks),
        cmocka_unit_test(test_clone_disks),
        cmocka_unit_test(test_template_memory_units),
        cmocka_unit_test(test_template_entity_not_expanded),
        REFUSAL("memoryBacking", refuse_memory_backing),
        REFUSAL("hugepages", refuse_hugepages),
        REFUSAL("numa", refuse_numa),
        REFUSAL("maxMemory", refuse_max_memory),
        REFUSAL("a memory device", refuse_memory_device),
        REFUSAL("a shareable disk", refuse_shareable_disk),
        REFUSAL("a network disk", refuse_network_disk),
        REFUSAL("a block device disk", refuse_block_disk),
        REFUSAL("a SCSI LUN", refuse_lun),
        REFUSAL("a vmdk disk", refuse_disk_format),
        REFUSAL("a disk without a source", refuse_disk_no_source),
        REFUSAL("an emulated TPM", refuse_tpm),
        REFUSAL("a host device", refuse_hostdev),
        REFUSAL("an already managed domain", refuse_managed),
        REFUSAL("malformed XML", refuse_malformed),
        REFUSAL("an empty document", refuse_empty),
        REFUSAL("a non-domain root", refuse_network),
        REFUSAL("a namespaced domain root", refuse_namespaced_root),
        REFUSAL("a missing <memory>", refuse_no_memory),
        REFUSAL("a bad memory unit", refuse_bad_unit),
        REFUSAL("zero memory", refuse_zero_memory),
        REFUSAL("a non-numeric memory", refuse_bad_number),
        REFUSAL("an overflowing memory", refuse_huge_memory),
        REFUSAL("a memory size that wraps", refuse_wrapping_memory),
        REFUSAL("a negative memory size", refuse_negative_memory),
        REFUSAL("a bad template name", refuse_bad_name),
        cmocka_unit_test(test_clone_live),
        cmocka_unit_test(test_clone_replaces_title),
        cmocka_unit_test(test_clone_keeps_user_mode_mac),
        cmocka_unit_test(test_detach_undescribes),
        cmocka_unit_test(test_clone_readonly_mapping),
        cmocka_unit_test(test_clone_of_template_output),
        cmocka_unit_test(test_clone_refused),
        cmocka_unit_test(test_kernel_base),
        cmocka_unit_test(test_kernel_base_makes_template),
        cmocka_unit_test(test_kernel_base_missing_element),
        cmocka_unit_test(test_metadata_of_outputs),
        cmocka_unit_test(test_metadata_absent),
        cmocka_unit_test(test_metadata_prefix_independent),
        cmocka_unit_test(test_metadata_errors),
        cmocka_unit_test(test_metadata_element),
        cmocka_unit_test(test_console_file),
        cmocka_unit_test(test_console_file_none),
        cmocka_unit_test(test_clone_file_path),
    };
    return vt_test_run(tests);
}
