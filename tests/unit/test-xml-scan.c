/* The hook's parser-free metadata scan (lib/core/xml-scan.c) against libxml2's
 * reading of the same XML (vt_xml_read_metadata), and against hostile input. */
#include "vt-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"
#include "xml-scan.h"

#define NS "https://virt-template.org/xmlns/domain/1"

/* Both readers must agree: same result code, role and template name. */
static void assert_readers_agree(const char *xml)
{
    struct vt_xml_metadata by_scan, by_libxml;
    vt_error_t scan_err = NULL, libxml_err = NULL;
    int scan_rc = vt_xml_scan_metadata(xml, &by_scan, &scan_err);
    int libxml_rc = vt_xml_read_metadata(xml, &by_libxml, &libxml_err);
    assert_int_equal(scan_rc, libxml_rc);
    if (scan_rc == 0) {
        assert_int_equal(by_scan.role, by_libxml.role);
        assert_string_equal(by_scan.template_name, by_libxml.template_name);
    }
    vt_error_free(&scan_err);
    vt_error_free(&libxml_err);
}

static void test_agrees_on_golden_files(void **state)
{
    static const char *const files[] = {
        "clone-live.in.xml", "clone-live.out.xml", "template-kernel.in.xml",
        "template-kernel.out.xml", "template-minimal.out.xml", "kernel-base.out.xml",
    };
    for (size_t i = 0; i < VT_TEST_N(files); i++) {
        char *xml = vt_test_read_file(files[i]);
        assert_readers_agree(xml);
        free(xml);
    }
}

static void test_reads_clone_and_template(void **state)
{
    struct vt_xml_metadata md;
    vt_error_t err = NULL;
    assert_int_equal(vt_xml_scan_metadata("<domain><metadata>\n  <vt:template xmlns:vt=\"" NS
                                          "\" role=\"clone\" name=\"web\"/>\n</metadata></domain>",
                                          &md, &err), 0);
    assert_int_equal(md.role, VT_ROLE_CLONE);
    assert_string_equal(md.template_name, "web");
    /* Single quotes, other prefix, attributes before the declaration. */
    assert_int_equal(vt_xml_scan_metadata("<domain><metadata><x:template name='t1' role='template' "
                                          "xmlns:x='" NS "'/></metadata></domain>", &md, &err), 0);
    assert_int_equal(md.role, VT_ROLE_TEMPLATE);
    assert_string_equal(md.template_name, "t1");
    /* A default namespace. */
    assert_int_equal(vt_xml_scan_metadata("<domain><metadata><template xmlns=\"" NS
                                          "\" role=\"clone\" name=\"d\"></template></metadata></domain>",
                                          &md, &err), 0);
    assert_string_equal(md.template_name, "d");
}

static void test_not_ours(void **state)
{
    static const char *const xmls[] = {
        "<domain><name>plain</name></domain>",
        "<domain><metadata><app:x xmlns:app=\"urn:other\"/></metadata></domain>",
        /* Our URI in text, or in another element's attribute, is not our element. */
        "<domain><description>" NS "</description><metadata></metadata></domain>",
        "<domain><metadata><o:other xmlns:o=\"" NS "\" role=\"clone\" name=\"x\"/></metadata></domain>",
        "<domain><metadata><vt:template xmlns:vt=\"" NS "x\" role=\"clone\" name=\"x\"/></metadata></domain>",
        /* Outside <metadata>: not where libvirt keeps it. */
        "<domain><vt:template xmlns:vt=\"" NS "\" role=\"clone\" name=\"x\"/></domain>",
        "", "<metadata>",
    };
    for (size_t i = 0; i < VT_TEST_N(xmls); i++) {
        struct vt_xml_metadata md;
        vt_error_t err = NULL;
        assert_int_equal(vt_xml_scan_metadata(xmls[i], &md, &err), 0);
        assert_int_equal(md.role, VT_ROLE_NONE);
    }
}

static void test_refuses_bad_values(void **state)
{
    static const struct {
        const char *attrs;
        const char *error;
    } cases[] = {
        {"role=\"clone\" name=\"../etc\"", "invalid template name '../etc'"},
        {"role=\"clone\" name=\"a/b\"", "invalid template name"},
        {"role=\"clone\"", "template name must not be empty"},
        {"role=\"boss\" name=\"x\"", "unknown role 'boss'"},
        {"name=\"x\"", "unknown role ''"},
        {"role=\"clone\" name=\"&amp;x\"", "invalid template name"},
        {"role=clone name=\"x\"", "malformed element"},
        {"role=\"clone name=\"x\"", "malformed element"},
        {"role=\"clone\" name=\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
         "longer than 64 characters"},
    };
    for (size_t i = 0; i < VT_TEST_N(cases); i++) {
        char xml[1024];
        snprintf(xml, sizeof(xml), "<domain><metadata><vt:template xmlns:vt=\"%s\" %s/></metadata></domain>",
                 NS, cases[i].attrs);
        struct vt_xml_metadata md;
        vt_error_t err = NULL;
        assert_int_equal(vt_xml_scan_metadata(xml, &md, &err), -1);
        vt_test_assert_error(&err, cases[i].error);
    }
}

static void test_unterminated_input_is_safe(void **state)
{
    /* Each input ends inside markup: an error where our element is cut
     * short, "no metadata" where only text is left. Never a read past the
     * end (the fuzzer and ASan watch that). */
    static const struct {
        const char *xml;
        const char *error; /* NULL: success with no role */
    } cases[] = {
        {"<domain><metadata><vt:template xmlns:vt=\"" NS "\" role=\"clone\" name=\"x",
         "malformed element"},
        {"<domain><metadata><vt:template xmlns:vt=\"" NS "\"</metadata>", "malformed element"},
        {"<domain><metadata>\"" NS "\"</metadata>", NULL},
        {"<domain><metadata>=\"" NS "\"</metadata>", NULL},
    };
    for (size_t i = 0; i < VT_TEST_N(cases); i++) {
        struct vt_xml_metadata md;
        vt_error_t err = NULL;
        int rc = vt_xml_scan_metadata(cases[i].xml, &md, &err);
        if (cases[i].error == NULL) {
            assert_int_equal(rc, 0);
            assert_int_equal(md.role, VT_ROLE_NONE);
        } else {
            assert_int_equal(rc, -1);
            vt_test_assert_error(&err, cases[i].error);
        }
        vt_error_free(&err);
    }
}

static int collect(const char *path, void *data)
{
    char *found = data;
    strcat(found, path);
    strcat(found, ";");
    return 0;
}

static void test_shared_mappings(void **state)
{
    char found[256] = "";
    const char *xml =
        "<domain xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:commandline>"
        "<qemu:arg value='-object'/>"
        "<qemu:arg value='memory-backend-file,id=m,size=1,mem-path=/dev/shm/virt-template/t1/memory,share=on'/>"
        "<qemu:arg value='memory-backend-file,id=n,size=1,mem-path=/dev/shm/virt-template/t2/memory,share=off'/>"
        "<qemu:arg value='{&quot;qom-type&quot;:&quot;memory-backend-file&quot;,&quot;mem-path&quot;:"
        "&quot;/dev/shm/virt-template/t3/memory&quot;,&quot;share&quot;:true}'/>"
        "<qemu:arg value=\"mem-path=/dev/shm/virt-template/../etc/memory,share=on\"/>"
        "<qemu:arg value='mem-path=/dev/shm/virt-template/t4/other,share=on'/>"
        "<qemu:arg value='{&quot;mem-path&quot;: &quot;/srv/t5/memory&quot;, &quot;share&quot;: true}'/>"
        "<qemu:arg value='mem-path=,share=on'/>"
        "</qemu:commandline></domain>";
    assert_int_equal(vt_xml_scan_shared_mappings(xml, collect, found), 0);
    /* Every shared mapping's path, whatever it names (the hook compares
     * inodes); t2 is private, and an empty path is none. */
    assert_string_equal(found, "/dev/shm/virt-template/t1/memory;/dev/shm/virt-template/t3/memory;"
                               "/dev/shm/virt-template/../etc/memory;"
                               "/dev/shm/virt-template/t4/other;/srv/t5/memory;");
}

static int refuse(const char *path, void *data)
{
    (void)path;
    (*(int *)data)++;
    return -1;
}

static void test_shared_mappings_stop(void **state)
{
    int calls = 0;
    const char *xml = "<a v='mem-path=/m/x/memory,share=on'/><a v='mem-path=/m/y/memory,share=on'/>";
    assert_int_equal(vt_xml_scan_shared_mappings(xml, refuse, &calls), -1);
    assert_int_equal(calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agrees_on_golden_files),
        cmocka_unit_test(test_reads_clone_and_template),
        cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_refuses_bad_values),
        cmocka_unit_test(test_unterminated_input_is_safe),
        cmocka_unit_test(test_shared_mappings),
        cmocka_unit_test(test_shared_mappings_stop),
    };
    return vt_test_run(tests);
}
