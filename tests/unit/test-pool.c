/* lib/core/pool-members.h (pool.json): round trips, refusals, the member
 * list, and the file in a temporary store. */
#include "vt-test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "pool-members.h"
#include "store-fixture.h"

#define autopool __attribute__((cleanup(vt_pool_clear))) struct vt_pool

/* A pool of three: one member ready, one filling, and a refill error. */
static void make_pool(struct vt_pool *pool)
{
    vt_autoerror vt_error_t err = NULL;
    *pool = (struct vt_pool){.size = 3};
    assert_int_equal(vt_pool_add(pool, "t-1", VT_POOL_READY, &err), 0);
    assert_int_equal(vt_pool_add(pool, "t-2", VT_POOL_FILLING, &err), 0);
    assert_int_equal(vt_pool_set_error(pool, "cannot start pool clone 't-3'", &err), 0);
}

static void assert_pool_equal(const struct vt_pool *a, const struct vt_pool *b)
{
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_string_equal(a->members[i].name, b->members[i].name);
        assert_int_equal(a->members[i].state, b->members[i].state);
    }
    if (a->last_error == NULL || b->last_error == NULL)
        assert_ptr_equal(a->last_error, b->last_error);
    else
        assert_string_equal(a->last_error, b->last_error);
}

static void round_trip(const struct vt_pool *in)
{
    vt_autoerror vt_error_t err = NULL;
    vt_autofree char *text = vt_pool_format(in, &err);
    assert_non_null(text);
    autopool out = {0};
    int rc = vt_pool_parse(text, &out, &err);
    if (rc < 0)
        print_error("parse: %s\n%s", err->msg, text);
    assert_int_equal(rc, 0);
    assert_pool_equal(in, &out);
}

static void test_round_trip(void **state)
{
    autopool pool = {0};
    make_pool(&pool);
    round_trip(&pool);
    /* No error, and an empty pool of the largest size. */
    vt_autoerror vt_error_t err = NULL;
    assert_int_equal(vt_pool_set_error(&pool, NULL, &err), 0);
    assert_null(pool.last_error);
    round_trip(&pool);
    vt_pool_clear(&pool);
    pool.size = VT_POOL_SIZE_MAX;
    round_trip(&pool);
}

/* The file is JSON a person (or jq) can read: check the keys by name. */
static void test_format_keys(void **state)
{
    autopool pool = {0};
    make_pool(&pool);
    vt_autoerror vt_error_t err = NULL;
    vt_autofree char *text = vt_pool_format(&pool, &err);
    assert_non_null(text);
    json_object *obj = json_tokener_parse(text), *v = NULL, *m = NULL;
    assert_non_null(obj);
    assert_true(json_object_object_get_ex(obj, "size", &v));
    assert_int_equal(json_object_get_int(v), 3);
    assert_true(json_object_object_get_ex(obj, "members", &v));
    assert_int_equal(json_object_array_length(v), 2);
    assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 1), "name", &m));
    assert_string_equal(json_object_get_string(m), "t-2");
    assert_true(json_object_object_get_ex(json_object_array_get_idx(v, 1), "state", &m));
    assert_string_equal(json_object_get_string(m), "filling");
    assert_true(json_object_object_get_ex(obj, "last_error", &v));
    assert_string_equal(json_object_get_string(v), "cannot start pool clone 't-3'");
    json_object_put(obj);

    /* Without an error, no "last_error" key. */
    assert_int_equal(vt_pool_set_error(&pool, NULL, &err), 0);
    vt_autofree char *plain = vt_pool_format(&pool, &err);
    assert_non_null(plain);
    vt_test_assert_lacks(plain, "last_error");
}

static void test_state_names(void **state)
{
    assert_string_equal(vt_pool_state_name(VT_POOL_FILLING), "filling");
    assert_string_equal(vt_pool_state_name(VT_POOL_READY), "ready");
    assert_string_equal(vt_pool_state_name(VT_POOL_STATE_LAST), "unknown");
}

/* Each damaged pool.json is refused with the error that names its fault,
 * and leaves the pool empty. */
static void test_parse_refusals(void **state)
{
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"[]", "pool: not a JSON object"},
        {"{\"size\": 1", "pool: not a JSON object"},
        {"{\"members\": []}", "pool: 'size' must be a number from 0 to 1024"},
        {"{\"size\": -1, \"members\": []}", "pool: 'size' must be a number from 0 to 1024"},
        {"{\"size\": 1025, \"members\": []}", "pool: 'size' must be a number from 0 to 1024"},
        {"{\"size\": \"2\", \"members\": []}", "pool: 'size' must be a number from 0 to 1024"},
        {"{\"size\": 1.5, \"members\": []}", "pool: 'size' must be a number from 0 to 1024"},
        {"{\"size\": 1}", "pool: 'members' must be a list"},
        {"{\"size\": 1, \"members\": {}}", "pool: 'members' must be a list"},
        {"{\"size\": 1, \"members\": [{\"name\": \"../x\", \"state\": \"ready\"}]}",
         "pool: invalid clone name '../x'"},
        {"{\"size\": 1, \"members\": [{\"name\": \"\", \"state\": \"ready\"}]}",
         "pool: clone name must not be empty"},
        {"{\"size\": 1, \"members\": [{\"name\": \"t-1\", \"state\": \"paused\"}]}",
         "pool: a member needs a 'name' and a 'state' (filling, ready)"},
        {"{\"size\": 1, \"members\": [{\"name\": \"t-1\"}]}",
         "pool: a member needs a 'name' and a 'state' (filling, ready)"},
        {"{\"size\": 1, \"members\": [{\"state\": \"ready\"}]}",
         "pool: a member needs a 'name' and a 'state' (filling, ready)"},
        {"{\"size\": 1, \"members\": [\"t-1\"]}",
         "pool: a member needs a 'name' and a 'state' (filling, ready)"},
        {"{\"size\": 2, \"members\": [{\"name\": \"t-1\", \"state\": \"ready\"},"
         " {\"name\": \"t-1\", \"state\": \"filling\"}]}",
         "pool: 't-1' is a member twice"},
    };
    for (size_t i = 0; i < VT_TEST_N(bad); i++) {
        struct vt_pool pool;
        vt_autoerror vt_error_t err = NULL;
        int rc = vt_pool_parse(bad[i].text, &pool, &err);
        if (rc != -1)
            print_error("accepted: %s\n", bad[i].text);
        assert_int_equal(rc, -1);
        vt_test_assert_error(&err, bad[i].error);
        assert_int_equal(pool.n, 0);
        assert_null(pool.members);
        assert_null(pool.last_error);
    }

    /* The bounds themselves, an unknown key and a last_error that is no
     * string (ignored) are accepted. */
    static const char *const good[] = {
        "{\"size\": 0, \"members\": []}",
        "{\"size\": 1024, \"members\": [], \"comment\": 1}",
        "{\"size\": 1, \"last_error\": 5,"
        " \"members\": [{\"name\": \"t-1\", \"state\": \"ready\"}]}",
    };
    for (size_t i = 0; i < VT_TEST_N(good); i++) {
        autopool pool = {0};
        vt_autoerror vt_error_t err = NULL;
        int rc = vt_pool_parse(good[i], &pool, &err);
        if (rc < 0)
            print_error("refused: %s: %s\n", good[i], err->msg);
        assert_int_equal(rc, 0);
        assert_null(pool.last_error);
    }
}

static void test_members(void **state)
{
    autopool pool = {.size = 4};
    vt_autoerror vt_error_t err = NULL;
    assert_null(vt_pool_find(&pool, "t-1"));
    assert_int_equal(vt_pool_count(&pool, VT_POOL_READY), 0);
    assert_int_equal(vt_pool_add(&pool, "t-1", VT_POOL_READY, &err), 0);
    assert_int_equal(vt_pool_add(&pool, "t-2", VT_POOL_FILLING, &err), 0);
    assert_int_equal(vt_pool_add(&pool, "t-3", VT_POOL_READY, &err), 0);
    assert_int_equal(vt_pool_add(&pool, "t-4", VT_POOL_READY, &err), 0);
    assert_int_equal(pool.n, 4);
    assert_int_equal(vt_pool_count(&pool, VT_POOL_READY), 3);
    assert_int_equal(vt_pool_count(&pool, VT_POOL_FILLING), 1);

    /* A name is a member once. */
    assert_int_equal(vt_pool_add(&pool, "t-2", VT_POOL_READY, &err), -1);
    vt_test_assert_error(&err, "pool: 't-2' is a member twice");
    assert_int_equal(pool.n, 4);

    struct vt_pool_member *m = vt_pool_find(&pool, "t-2");
    assert_non_null(m);
    assert_string_equal(m->name, "t-2");
    assert_int_equal(m->state, VT_POOL_FILLING);
    m->state = VT_POOL_READY;
    assert_int_equal(vt_pool_count(&pool, VT_POOL_READY), 4);
    assert_null(vt_pool_find(&pool, "t-"));
    assert_null(vt_pool_find(&pool, "t-22"));

    /* Removal keeps the others in order: from the middle, the end, the start. */
    assert_true(vt_pool_remove(&pool, "t-2"));
    assert_false(vt_pool_remove(&pool, "t-2"));
    assert_false(vt_pool_remove(&pool, "other"));
    assert_int_equal(pool.n, 3);
    assert_null(vt_pool_find(&pool, "t-2"));
    assert_string_equal(pool.members[0].name, "t-1");
    assert_string_equal(pool.members[1].name, "t-3");
    assert_string_equal(pool.members[2].name, "t-4");
    assert_true(vt_pool_remove(&pool, "t-4"));
    assert_true(vt_pool_remove(&pool, "t-1"));
    assert_int_equal(pool.n, 1);
    assert_string_equal(pool.members[0].name, "t-3");
    assert_non_null(vt_pool_find(&pool, "t-3"));
    assert_int_equal(vt_pool_count(&pool, VT_POOL_READY), 1);
    assert_true(vt_pool_remove(&pool, "t-3"));
    assert_int_equal(pool.n, 0);
    assert_int_equal(vt_pool_count(&pool, VT_POOL_READY), 0);
    /* Removed names can come back. */
    assert_int_equal(vt_pool_add(&pool, "t-2", VT_POOL_FILLING, &err), 0);
    assert_int_equal(pool.size, 4);
}

/* --- pool.json in a temporary store --- */

static int setup(void **state)
{
    struct vt_store_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    vt_store_fixture_make(f, "pool");
    vt_store_fixture_add_saved(f, "t", "device state", VT_DIGEST_SHA256, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    vt_store_fixture_remove(*state);
    free(*state);
    return 0;
}

static void test_load_missing(void **state)
{
    struct vt_store_fixture *f = *state;
    vt_autoerror vt_error_t err = NULL;
    autopool pool = {.size = 7};
    assert_int_equal(vt_pool_load(&f->dirs, "t", &pool, &err), 0);
    assert_int_equal(pool.size, 0);
    assert_int_equal(pool.n, 0);
    assert_null(pool.members);
    assert_null(pool.last_error);
    assert_false(vt_pool_member_filling(&f->dirs, "t", "t-1"));
}

static void test_save_load(void **state)
{
    struct vt_store_fixture *f = *state;
    vt_autoerror vt_error_t err = NULL;
    autopool pool = {0};
    make_pool(&pool);
    assert_int_equal(vt_pool_save(&f->dirs, "t", &pool, &err), 0);
    vt_autofree char *path = vt_store_fixture_path(f->state, "t/pool.json");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    autopool back = {0};
    assert_int_equal(vt_pool_load(&f->dirs, "t", &back, &err), 0);
    assert_pool_equal(&pool, &back);

    /* Saved again, smaller: the file is replaced, not appended to. */
    assert_true(vt_pool_remove(&pool, "t-1"));
    pool.size = 1;
    assert_int_equal(vt_pool_save(&f->dirs, "t", &pool, &err), 0);
    autopool again = {0};
    assert_int_equal(vt_pool_load(&f->dirs, "t", &again, &err), 0);
    assert_pool_equal(&pool, &again);
}

/* A damaged file is an error that names it; an invalid template name is
 * refused before any path is made. */
static void test_load_refusals(void **state)
{
    struct vt_store_fixture *f = *state;
    vt_autoerror vt_error_t err = NULL;
    autopool pool = {0};
    vt_store_fixture_write(f->state, "t/pool.json", "{\"size\": 2, \"members\": 3}");
    assert_int_equal(vt_pool_load(&f->dirs, "t", &pool, &err), -1);
    vt_autofree char *path = vt_store_fixture_path(f->state, "t/pool.json");
    vt_test_assert_contains(err->msg, path);
    vt_test_assert_error(&err, "pool: 'members' must be a list");
    assert_int_equal(pool.n, 0);

    assert_int_equal(vt_pool_load(&f->dirs, "../t", &pool, &err), -1);
    vt_test_assert_error(&err, "invalid template name '../t'");
    assert_int_equal(vt_pool_save(&f->dirs, "../t", &pool, &err), -1);
    vt_test_assert_error(&err, "invalid template name '../t'");
}

/* What the hook asks: a member of this template's pool that a refill is
 * starting; not a ready one, not another template's, not a non-member,
 * not of a damaged pool. */
static void test_member_filling(void **state)
{
    struct vt_store_fixture *f = *state;
    vt_autoerror vt_error_t err = NULL;
    autopool pool = {0};
    make_pool(&pool);
    assert_int_equal(vt_pool_save(&f->dirs, "t", &pool, &err), 0);
    vt_store_fixture_add_saved(f, "u", "device state", VT_DIGEST_SHA256, NULL);

    assert_true(vt_pool_member_filling(&f->dirs, "t", "t-2"));
    assert_false(vt_pool_member_filling(&f->dirs, "t", "t-1"));
    assert_false(vt_pool_member_filling(&f->dirs, "t", "t-3"));
    assert_false(vt_pool_member_filling(&f->dirs, "u", "t-2"));
    assert_false(vt_pool_member_filling(&f->dirs, "absent", "t-2"));
    assert_false(vt_pool_member_filling(&f->dirs, "../t", "t-2"));

    vt_store_fixture_write(f->state, "t/pool.json",
                           "{\"size\": 2, \"members\": [{\"name\": \"t-2\"}]}");
    assert_false(vt_pool_member_filling(&f->dirs, "t", "t-2"));
}

/* One refill at a time. The lock file comes with the pool (vt_pool_save),
 * never from the lock itself; a holder is seen by vt_pool_refill_running,
 * and the lock is free again once its fd is closed. */
static void test_lock(void **state)
{
    struct vt_store_fixture *f = *state;
    vt_autoerror vt_error_t err = NULL;
    vt_autofree char *path = vt_store_fixture_path(f->state, "t/pool.lock");
    assert_int_equal(vt_pool_lock(&f->dirs, "t", &err), -1);
    assert_int_equal(err->errnum, ENOENT);
    vt_test_assert_error(&err, "template 't' has no pool");
    assert_int_equal(access(path, F_OK), -1);
    assert_false(vt_pool_refill_running(&f->dirs, "t"));

    autopool pool = {0};
    make_pool(&pool);
    assert_int_equal(vt_pool_save(&f->dirs, "t", &pool, &err), 0);
    assert_int_equal(access(path, F_OK), 0);
    int held = vt_pool_lock(&f->dirs, "t", &err);
    assert_true(held >= 0);
    assert_true(vt_pool_refill_running(&f->dirs, "t"));
    /* Asking takes no lock that a second asker would see. */
    assert_true(vt_pool_refill_running(&f->dirs, "t"));
    assert_int_equal(close(held), 0);
    assert_false(vt_pool_refill_running(&f->dirs, "t"));
    vt_autoclose int again = vt_pool_lock(&f->dirs, "t", &err);
    assert_true(again >= 0);

    assert_int_equal(vt_pool_lock(&f->dirs, "absent", &err), -1);
    vt_test_assert_error(&err, "template 'absent' has no pool");
    assert_false(vt_pool_refill_running(&f->dirs, "absent"));
}

#define STORE_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_format_keys),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_members),
        STORE_TEST(test_load_missing),
        STORE_TEST(test_save_load),
        STORE_TEST(test_load_refusals),
        STORE_TEST(test_member_filling),
        STORE_TEST(test_lock),
    };
    return vt_test_run(tests);
}
