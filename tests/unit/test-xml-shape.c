/* lib/core/xml-shape.c: what a clone must keep of its template's hardware,
 * read from libvirt's XML without a parser, and the one phrase naming the
 * first difference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt-test.h"
#include "xml-shape.h"

/* The golden live XML with `from` replaced by `to` (once). */
static char *edited_live(const char *from, const char *to)
{
    char *xml = vt_test_read_file("clone-live.in.xml");
    char *at = strstr(xml, from);
    assert_non_null(at);
    char *out = NULL;
    assert_true(asprintf(&out, "%.*s%s%s", (int)(at - xml), xml, to, at + strlen(from)) > 0);
    free(xml);
    return out;
}

/* The difference between edited (as the clone) and the golden live XML. */
static void assert_diff(const char *clone_xml, const char *expected)
{
    char *live = vt_test_read_file("clone-live.in.xml");
    struct vt_domain_shape clone, saved;
    vt_error_t err = NULL;
    char diff[512];
    assert_int_equal(vt_xml_scan_shape(live, &saved, &err), 0);
    assert_int_equal(vt_xml_scan_shape(clone_xml, &clone, &err), 0);
    vt_domain_shape_diff(&clone, &saved, diff, sizeof(diff));
    if (*expected == '\0')
        assert_string_equal(diff, "");
    else
        vt_test_assert_contains(diff, expected);
    vt_domain_shape_clear(&clone);
    vt_domain_shape_clear(&saved);
    free(live);
}

static void test_reads_the_live_xml(void **state)
{
    char *live = vt_test_read_file("clone-live.in.xml");
    struct vt_domain_shape s;
    vt_error_t err = NULL;
    assert_int_equal(vt_xml_scan_shape(live, &s, &err), 0);
    assert_string_equal(s.machine, "pc-q35-7.2");
    assert_string_equal(s.memory, "262144 KiB");
    assert_string_equal(s.vcpus, "1");
    assert_true(s.ndevices > 5);
    bool found_root = false;
    for (size_t i = 0; i < s.ndevices; i++)
        found_root |= strcmp(s.devices[i], "controller type=pci index=0 model=pcie-root") == 0;
    assert_true(found_root);
    vt_domain_shape_clear(&s);
    free(live);
}

static void test_same_hardware_is_no_difference(void **state)
{
    /* What a clone changes: name, MAC, console path, aliases. */
    char *xml = edited_live("<name>tmpl</name>", "<name>web1</name>");
    assert_diff(xml, "");
    free(xml);
}

static void test_names_what_differs(void **state)
{
    static const struct {
        const char *from, *to, *expected;
    } cases[] = {
        {"<memory unit='KiB'>262144</memory>", "<memory unit='KiB'>524288</memory>",
         "memory is 524288 KiB, the template's 262144 KiB"},
        {"<vcpu placement='static'>1</vcpu>", "<vcpu placement='static' current='1'>2</vcpu>",
         "vCPUs are 2 (current=1), the template's 1"},
        {"machine='pc-q35-7.2'", "machine='pc-q35-8.0'",
         "machine type is 'pc-q35-8.0', the template's 'pc-q35-7.2'"},
        {"</devices>",
         "<watchdog model='i6300esb' action='reset'><address type='pci' domain='0x0000' "
         "bus='0x00' slot='0x09' function='0x0'/></watchdog></devices>",
         "it has a device the template has not (watchdog model=i6300esb at type=pci "
         "domain=0x0000 bus=0x00 slot=0x09 function=0x0)"},
    };
    for (size_t i = 0; i < VT_TEST_N(cases); i++) {
        char *xml = edited_live(cases[i].from, cases[i].to);
        assert_diff(xml, cases[i].expected);
        free(xml);
    }
}

static void test_a_removed_device_is_named(void **state)
{
    char *xml = vt_test_read_file("clone-live.in.xml");
    char *start = strstr(xml, "<interface");
    char *end = strstr(xml, "</interface>");
    assert_non_null(start);
    assert_non_null(end);
    memmove(start, end + strlen("</interface>"), strlen(end + strlen("</interface>")) + 1);
    assert_diff(xml, "it lacks a device of the template (interface model=virtio at type=pci");
    free(xml);
}

static void test_malformed_input_is_an_error(void **state)
{
    static const char *const xmls[] = {
        "<domain><devices><disk type='file'",
        "<domain></devices></domain></x>",
        "<domain><!-- never closed",
    };
    for (size_t i = 0; i < VT_TEST_N(xmls); i++) {
        struct vt_domain_shape s;
        vt_error_t err = NULL;
        assert_int_equal(vt_xml_scan_shape(xmls[i], &s, &err), -1);
        vt_test_assert_error(&err, "domain XML");
    }
}

static void test_scan_arg(void **state)
{
    char out[256];
    const char *xml = "<qemu:arg value='socket,id=vt-qmp,path=/run/vt/c1.qmp,server=on'/>"
                      "<qemu:arg value='x socket,id=vt-qmp,path=/elsewhere'/>";
    assert_true(vt_xml_scan_arg(xml, "socket,id=vt-qmp,path=", out, sizeof(out)));
    assert_string_equal(out, "/run/vt/c1.qmp");
    assert_false(vt_xml_scan_arg("<a v='x socket,id=vt-qmp,path=/p'/>", "socket,id=vt-qmp,path=",
                                 out, sizeof(out)));
}

/* A restore's XML gets anonymous RAM of the same id and size; every other
 * byte stays. */
static void test_ram_to_anonymous(void **state)
{
    const char *xml = "<domain><qemu:commandline><qemu:arg value='-object'/>"
                      "<qemu:arg value='memory-backend-file,id=vt-ram,size=268435456,"
                      "mem-path=/var/lib/vt/.memory/t/memory,share=off,readonly=on,rom=off'/>"
                      "<qemu:arg value='-machine'/></qemu:commandline></domain>";
    char *out = NULL;
    vt_error_t err = NULL;
    assert_int_equal(vt_xml_ram_to_anonymous(xml, &out, &err), 1);
    assert_string_equal(out, "<domain><qemu:commandline><qemu:arg value='-object'/>"
                             "<qemu:arg value='memory-backend-ram,id=vt-ram,size=268435456'/>"
                             "<qemu:arg value='-machine'/></qemu:commandline></domain>");
    assert_true(vt_xml_maps_template_memory(xml));
    assert_false(vt_xml_maps_template_memory(out));
    free(out);
    /* Nothing of ours: nothing to rewrite. */
    assert_int_equal(vt_xml_ram_to_anonymous("<domain/>", &out, &err), 0);
    assert_null(out);
    assert_int_equal(vt_xml_ram_to_anonymous("<a v='memory-backend-file,id=vt-ram,size=x'/>", &out,
                                             &err),
                     -1);
    vt_test_assert_error(&err, "damaged");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_the_live_xml),
        cmocka_unit_test(test_same_hardware_is_no_difference),
        cmocka_unit_test(test_names_what_differs),
        cmocka_unit_test(test_a_removed_device_is_named),
        cmocka_unit_test(test_malformed_input_is_an_error),
        cmocka_unit_test(test_scan_arg),
        cmocka_unit_test(test_ram_to_anonymous),
    };
    return vt_test_run(tests);
}
