/* lib/core/meta.h (meta.json): round trips and refusals. */
#include "vt-test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "meta.h"

/* SHA-256 of "abc"; any 64 lowercase hex digits would do. */
#define SHA256_HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void assert_meta_equal(const struct vt_meta *a, const struct vt_meta *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->memory_bytes, b->memory_bytes);
    assert_int_equal(a->device_state_bytes, b->device_state_bytes);
    assert_string_equal(a->device_state_digest, b->device_state_digest);
    assert_int_equal(a->device_state_digest_alg, b->device_state_digest_alg);
    assert_int_equal(a->qemu_uid, b->qemu_uid);
    assert_int_equal(a->qemu_gid, b->qemu_gid);
    assert_int_equal(a->created_ms, b->created_ms);
    assert_int_equal(a->saved_ms, b->saved_ms);
    assert_int_equal(a->boot_ms, b->boot_ms);
    assert_int_equal(a->save_ms, b->save_ms);
    assert_int_equal(a->readonly_mapping, b->readonly_mapping);
}

static void round_trip(const struct vt_meta *in)
{
    vt_autoerror vt_error_t err = NULL;
    vt_autofree char *text = vt_meta_format(in, &err);
    assert_non_null(text);
    assert_int_equal(text[strlen(text) - 1], '\n');
    struct vt_meta out;
    int rc = vt_meta_parse(text, &out, &err);
    if (rc < 0)
        print_error("parse: %s\n%s", err->msg, text);
    assert_int_equal(rc, 0);
    assert_meta_equal(in, &out);
    vt_meta_clear(&out);
}

static void test_round_trip_booting(void **state)
{
    struct vt_meta m = {
        .name = "tmpl",
        .state = VT_TEMPLATE_BOOTING,
        .memory_bytes = 268435456,
        .qemu_uid = 64055,
        .qemu_gid = 64055,
        .created_ms = 1700000000123,
        .boot_ms = -1,
        .save_ms = -1,
    };
    round_trip(&m);
}

static void test_round_trip_saved(void **state)
{
    struct vt_meta m = {
        .name = "Big_template.v2-x",
        .state = VT_TEMPLATE_SAVED,
        .memory_bytes = 1ULL << 40,
        .device_state_bytes = 612345,
        .device_state_digest = SHA256_HEX,
        .device_state_digest_alg = VT_DIGEST_SHA256,
        .qemu_uid = 0,
        .qemu_gid = 4294967294U,
        .created_ms = 1700000000123,
        .saved_ms = 1700000049999,
        .boot_ms = 49876,
        .save_ms = 140,
        .readonly_mapping = true,
    };
    round_trip(&m);
}

/* Metadata of a template saved before SHA-256, rewritten, stays FNV-1a. */
static void test_round_trip_legacy_digest(void **state)
{
    struct vt_meta m = {
        .name = "old",
        .state = VT_TEMPLATE_SAVED,
        .memory_bytes = 268435456,
        .device_state_bytes = 600000,
        .device_state_digest = "0123456789abcdef",
        .device_state_digest_alg = VT_DIGEST_FNV1A64,
        .boot_ms = -1,
        .save_ms = 12,
    };
    round_trip(&m);
}

/* The file is JSON a person (or jq) can read: check the keys by name. */
static void test_format_keys(void **state)
{
    struct vt_meta m = {.name = "t",
                        .state = VT_TEMPLATE_SAVED,
                        .memory_bytes = 4096,
                        .device_state_bytes = 10,
                        .device_state_digest = SHA256_HEX,
                        .boot_ms = -1,
                        .save_ms = 5};
    vt_autoerror vt_error_t err = NULL;
    vt_autofree char *text = vt_meta_format(&m, &err);
    assert_non_null(text);
    json_object *obj = json_tokener_parse(text);
    assert_non_null(obj);
    json_object *v = NULL;
    assert_true(json_object_object_get_ex(obj, "version", &v));
    assert_int_equal(json_object_get_int(v), 1);
    assert_true(json_object_object_get_ex(obj, "state", &v));
    assert_string_equal(json_object_get_string(v), "saved");
    assert_true(json_object_object_get_ex(obj, "boot_ms", &v));
    assert_int_equal(json_object_get_int64(v), -1);
    assert_true(json_object_object_get_ex(obj, "state_digest", &v));
    assert_string_equal(json_object_get_string(v), SHA256_HEX);
    assert_true(json_object_object_get_ex(obj, "state_digest_alg", &v));
    assert_string_equal(json_object_get_string(v), "sha256");
    assert_true(json_object_object_get_ex(obj, "readonly_mapping", &v));
    assert_false(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(obj, "disks", &v));
    assert_int_equal(json_object_array_length(v), 0);
    assert_true(json_object_object_get_ex(obj, "nvram", &v));
    assert_false(json_object_get_boolean(v));
    assert_int_equal(json_object_object_length(obj), 16);
    json_object_put(obj);
}

/* The template's disks survive a round trip; metadata without "disks" (a
 * store from before disks) has none; a damaged list is refused. */
static void test_disks(void **state)
{
    struct vt_meta m = {.name = "t", .memory_bytes = 4096, .boot_ms = -1, .save_ms = -1,
                        .ndisks = 2, .nvram = true};
    strcpy(m.disks[0].target, "vda");
    strcpy(m.disks[0].format, "qcow2");
    strcpy(m.disks[1].target, "sdb");
    strcpy(m.disks[1].format, "raw");
    vt_autoerror vt_error_t err = NULL;
    vt_autofree char *text = vt_meta_format(&m, &err);
    struct vt_meta back;
    assert_int_equal(vt_meta_parse(text, &back, &err), 0);
    assert_int_equal(back.ndisks, 2);
    assert_string_equal(back.disks[1].target, "sdb");
    assert_string_equal(back.disks[1].format, "raw");
    assert_true(back.nvram);
    vt_meta_clear(&back);

    static const struct {
        const char *disks, *error;
    } bad[] = {
        {"[{\"target\": \"../x\", \"format\": \"raw\"}]", "invalid disk '../x'"},
        {"[{\"target\": \"vda\", \"format\": \"vmdk\"}]", "invalid disk 'vda' (vmdk)"},
        {"[{\"target\": \"vda\"}]", "a disk needs a 'target' and a 'format'"},
        {"[{\"target\": \"vda\", \"format\": \"raw\"}, {\"target\": \"vda\", \"format\": \"raw\"}]",
         "disk 'vda' is listed twice"},
        {"\"vda\"", "'disks' is not a list"},
    };
    for (size_t i = 0; i < VT_TEST_N(bad); i++) {
        json_object *obj = json_tokener_parse(text);
        json_object_object_add(obj, "disks", json_tokener_parse(bad[i].disks));
        struct vt_meta broken;
        assert_int_equal(vt_meta_parse(json_object_to_json_string(obj), &broken, &err), -1);
        vt_test_assert_error(&err, bad[i].error);
        json_object_put(obj);
    }
}

static void test_state_names(void **state)
{
    assert_string_equal(vt_template_state_name(VT_TEMPLATE_BOOTING), "booting");
    assert_string_equal(vt_template_state_name(VT_TEMPLATE_SAVED), "saved");
    assert_string_equal(vt_template_state_name(VT_TEMPLATE_STATE_LAST), "unknown");
}

/* A valid meta.json, as a json-c object the cases below break: one from
 * before "state_digest_alg", so its digest is the legacy FNV-1a 64. */
static json_object *valid_object(void)
{
    json_object *obj = json_tokener_parse(
        "{\"version\": 1, \"name\": \"tmpl\", \"state\": \"saved\", \"memory_bytes\": 268435456,"
        " \"state_bytes\": 600000, \"qemu_uid\": 64055, \"qemu_gid\": 64055,"
        " \"created_ms\": 1700000000000, \"saved_ms\": 1700000001000, \"boot_ms\": 3200,"
        " \"save_ms\": 90, \"state_digest\": \"00112233445566aa\","
        " \"comment\": \"unknown keys are ignored\"}");
    assert_non_null(obj);
    return obj;
}

static void assert_parse_error(const char *text, const char *message)
{
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_meta_parse(text, &m, &err), -1);
    assert_null(m.name); /* nothing half-loaded */
    vt_test_assert_error(&err, message);
}

/* Parses `obj` with `key` set to `value` (a JSON text), or removed if NULL. */
static void assert_broken_key(const char *key, const char *value, const char *message)
{
    json_object *obj = valid_object();
    if (value)
        json_object_object_add(obj, key, json_tokener_parse(value));
    else
        json_object_object_del(obj, key);
    assert_parse_error(json_object_to_json_string(obj), message);
    json_object_put(obj);
}

static void test_valid_object_parses(void **state)
{
    json_object *obj = valid_object();
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_meta_parse(json_object_to_json_string(obj), &m, &err), 0);
    assert_string_equal(m.name, "tmpl");
    assert_int_equal(m.state, VT_TEMPLATE_SAVED);
    assert_int_equal(m.device_state_bytes, 600000);
    assert_int_equal(m.boot_ms, 3200);
    assert_false(m.readonly_mapping); /* absent: metadata from before the key */
    assert_int_equal(m.device_state_digest_alg, VT_DIGEST_FNV1A64); /* likewise */
    assert_string_equal(m.device_state_digest, "00112233445566aa");
    vt_meta_clear(&m);
    assert_null(m.name);
    json_object_put(obj);
}

static void test_rejects_not_json(void **state)
{
    assert_parse_error("", "template metadata is not valid JSON");
    assert_parse_error("{", "template metadata is not valid JSON");
    assert_parse_error("name=tmpl", "template metadata is not valid JSON");
    /* A damaged file: trailing commas or bytes after the object. */
    assert_parse_error("{\"version\": 1,}", "template metadata is not valid JSON");
    assert_parse_error("{} x", "template metadata is not valid JSON");
    assert_parse_error("{}{}", "template metadata is not valid JSON");
}

static void test_rejects_not_object(void **state)
{
    assert_parse_error("[]", "template metadata is not a JSON object");
    assert_parse_error("\"tmpl\"", "template metadata is not a JSON object");
    assert_parse_error("42", "template metadata is not a JSON object");
}

static void test_rejects_missing_keys(void **state)
{
    static const char *const keys[] = {"version",     "name",     "state",    "memory_bytes",
                                       "state_bytes", "qemu_uid", "qemu_gid", "created_ms",
                                       "saved_ms",    "boot_ms",  "save_ms",  "state_digest"};
    for (size_t i = 0; i < VT_TEST_N(keys); i++) {
        char message[128];
        snprintf(message, sizeof(message), "'%s' is missing", keys[i]);
        assert_broken_key(keys[i], NULL, message);
    }
}

static void test_rejects_wrong_types(void **state)
{
    assert_broken_key("memory_bytes", "\"268435456\"",
                      "'memory_bytes' is missing or not an integer");
    assert_broken_key("memory_bytes", "2.5", "'memory_bytes' is missing or not an integer");
    assert_broken_key("qemu_uid", "true", "'qemu_uid' is missing or not an integer");
    assert_broken_key("version", "\"1\"", "'version' is missing or not an integer");
    assert_broken_key("name", "42", "'name' is missing or not a string");
    assert_broken_key("state", "1", "'state' is missing or not a string");
    assert_broken_key("saved_ms", "null", "'saved_ms' is missing or not an integer");
    assert_broken_key("readonly_mapping", "1", "'readonly_mapping' is not a boolean");
    assert_broken_key("readonly_mapping", "\"yes\"", "'readonly_mapping' is not a boolean");
}

static void test_rejects_bad_values(void **state)
{
    assert_broken_key("state", "\"frozen\"", "template metadata: unknown state 'frozen'");
    assert_broken_key("state", "\"Saved\"", "unknown state 'Saved'");
    assert_broken_key("version", "2", "template metadata: unsupported version 2");
    assert_broken_key("version", "0", "'version' is out of range");
    assert_broken_key("memory_bytes", "0", "'memory_bytes' is out of range");
    assert_broken_key("state_bytes", "-1", "'state_bytes' is out of range");
    assert_broken_key("boot_ms", "-2", "'boot_ms' is out of range");
    assert_broken_key("qemu_uid", "4294967295", "qemu_uid/qemu_gid out of range");
    assert_broken_key("qemu_gid", "99999999999", "qemu_uid/qemu_gid out of range");
    /* json-c clamps these to INT64_MAX: they must not load as that. */
    assert_broken_key("created_ms", "99999999999999999999", "'created_ms' is out of range");
    assert_broken_key("memory_bytes", "18446744073709551615", "'memory_bytes' is out of range");
}

static void test_rejects_bad_names(void **state)
{
    assert_broken_key("name", "\"a/b\"", "template metadata: invalid template name 'a/b'");
    assert_broken_key("name", "\"..\"", "invalid template name '..'");
    assert_broken_key("name", "\"../etc\"", "invalid template name '../etc'");
    assert_broken_key("name", "\"\"", "template name must not be empty");
}

static void test_rejects_saved_without_state(void **state)
{
    assert_broken_key("state_bytes", "0", "template metadata: saved template has no state size");
    /* While booting there is no state yet: 0 is right. */
    json_object *obj = valid_object();
    json_object_object_add(obj, "state", json_object_new_string("booting"));
    json_object_object_add(obj, "state_bytes", json_object_new_int(0));
    json_object_object_add(obj, "state_digest", json_object_new_string(""));
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_meta_parse(json_object_to_json_string(obj), &m, &err), 0);
    assert_int_equal(m.state, VT_TEMPLATE_BOOTING);
    vt_meta_clear(&m);
    json_object_put(obj);
}

/* A saved template's state has a digest; a booting one has none yet. */
static void test_rejects_bad_digests(void **state)
{
    assert_broken_key("state_digest", "\"\"", "invalid state_digest ''");
    assert_broken_key("state_digest", "\"0011\"", "invalid state_digest '0011'");
    assert_broken_key("state_digest", "\"00112233445566AA\"", "invalid state_digest");
    assert_broken_key("state_digest", "\"0011223344556677x\"", "invalid state_digest");
    assert_broken_key("state_digest", "42", "'state_digest' is missing or not a string");
    json_object *obj = valid_object();
    json_object_object_add(obj, "state", json_object_new_string("booting"));
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_meta_parse(json_object_to_json_string(obj), &m, &err), -1);
    vt_test_assert_error(&err, "invalid state_digest '00112233445566aa'");
    json_object_put(obj);
}

/* Parses valid_object() with "state_digest_alg" and "state_digest" set. */
static void assert_digest_parses(const char *alg, const char *digest, enum vt_digest_alg want)
{
    json_object *obj = valid_object();
    json_object_object_add(obj, "state_digest_alg", json_object_new_string(alg));
    json_object_object_add(obj, "state_digest", json_object_new_string(digest));
    struct vt_meta m;
    vt_autoerror vt_error_t err = NULL;
    int rc = vt_meta_parse(json_object_to_json_string(obj), &m, &err);
    if (rc < 0)
        print_error("%s %s: %s\n", alg, digest, err->msg);
    assert_int_equal(rc, 0);
    assert_int_equal(m.device_state_digest_alg, want);
    assert_string_equal(m.device_state_digest, digest);
    vt_meta_clear(&m);
    json_object_put(obj);
}

/* The digest must be one its algorithm makes: no key means FNV-1a 64. */
static void test_digest_alg(void **state)
{
    assert_digest_parses("sha256", SHA256_HEX, VT_DIGEST_SHA256);
    assert_digest_parses("fnv1a64", "00112233445566aa", VT_DIGEST_FNV1A64);
    assert_broken_key("state_digest", "\"" SHA256_HEX "\"", "invalid state_digest '" SHA256_HEX);
    assert_broken_key("state_digest_alg", "\"sha256\"", "invalid state_digest '00112233445566aa'");
    assert_broken_key("state_digest_alg", "\"md5\"",
                      "template metadata: unknown state_digest_alg 'md5'");
    assert_broken_key("state_digest_alg", "\"SHA256\"", "unknown state_digest_alg 'SHA256'");
    assert_broken_key("state_digest_alg", "256", "'state_digest_alg' is not a string");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_booting),
        cmocka_unit_test(test_round_trip_saved),
        cmocka_unit_test(test_round_trip_legacy_digest),
        cmocka_unit_test(test_format_keys),
        cmocka_unit_test(test_disks),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_valid_object_parses),
        cmocka_unit_test(test_rejects_bad_digests),
        cmocka_unit_test(test_digest_alg),
        cmocka_unit_test(test_rejects_not_json),
        cmocka_unit_test(test_rejects_not_object),
        cmocka_unit_test(test_rejects_missing_keys),
        cmocka_unit_test(test_rejects_wrong_types),
        cmocka_unit_test(test_rejects_bad_values),
        cmocka_unit_test(test_rejects_bad_names),
        cmocka_unit_test(test_rejects_saved_without_state),
    };
    return vt_test_run(tests);
}
