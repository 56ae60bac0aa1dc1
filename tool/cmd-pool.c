/* pool and take: the warm pool (lib/virt/pool.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "cli.h"
#include "pool.h"
#include "background.h"

struct vt_pool_args {
    const char *name;
    unsigned size;
    bool resize;
    bool json;
    bool refill;  /* --refill: top up in the foreground */
    bool no_wait; /* --size N --no-wait: the refill runs in the background */
};

static int vt_pool_parse_args(struct vt_cli *cli, int argc, char **argv, struct vt_pool_args *a,
                         vt_error_t *err)
{
    static const struct option opts[] = {
        {"size", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
        {"refill", no_argument, NULL, 'r'},     {"no-wait", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            /* 0 drains the pool. */
            if (strcmp(optarg, "0") != 0 && vt_cli_uint(cli, "--size", optarg, &a->size, err) < 0)
                return -1;
            if (a->size > VT_POOL_SIZE_MAX)
                return vt_cli_usage(cli, err, "invalid value '%s' for --size: at most %d", optarg,
                                    VT_POOL_SIZE_MAX);
            a->resize = true;
            break;
        case 'j': a->json = true; break;
        case 'r': a->refill = true; break;
        case 'n': a->no_wait = true; break;
        case 'h': return vt_cli_help(cli) + 1;
        case ':': return vt_cli_usage(cli, err, "option '%s' needs a value", argv[optind - 1]);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return vt_cli_usage(cli, err, "pool: give exactly one TEMPLATE");
    a->name = argv[optind];
    if (a->json && (a->resize || a->refill))
        return vt_cli_usage(cli, err, "pool: --json shows the pool; it takes no --size or --refill");
    if (a->no_wait && !a->resize)
        return vt_cli_usage(cli, err, "pool: --no-wait goes with --size");
    if (a->refill && a->resize)
        return vt_cli_usage(cli, err, "pool: --size refills already; give one of them");
    return 0;
}

/* The refill after a take, or after a reboot: this program again, detached
 * (`pool TEMPLATE --refill`), so that the caller never waits for it. */
static int vt_pool_refill_in_background(const struct vt_cli *cli, const char *name,
                                        vt_error_t *err)
{
    char *argv[] = {"virt-template", "-q", "-c", (char *)cli->uri, "pool", (char *)name,
                    "--refill", NULL};
    return vt_spawn_self_detached(argv, err);
}

static json_object *vt_pool_json(const char *name, const struct vt_pool *pool, bool refilling,
                                 uint64_t slot)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "template", json_object_new_string(name));
    json_object_object_add(o, "size", json_object_new_int64(pool->size));
    json_object_object_add(o, "ready",
                           json_object_new_int64((int64_t)vt_pool_count(pool, VT_POOL_READY)));
    json_object_object_add(o, "filling",
                           json_object_new_int64((int64_t)vt_pool_count(pool, VT_POOL_FILLING)));
    json_object_object_add(o, "refilling", json_object_new_boolean(refilling));
    json_object_object_add(o, "slot_bytes", json_object_new_int64((int64_t)slot));
    json_object *members = json_object_new_array();
    for (size_t i = 0; i < pool->n; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "name", json_object_new_string(pool->members[i].name));
        json_object_object_add(m, "state",
                               json_object_new_string(vt_pool_state_name(pool->members[i].state)));
        json_object_array_add(members, m);
    }
    json_object_object_add(o, "members", members);
    json_object_object_add(o, "last_error", pool->last_error
                                                ? json_object_new_string(pool->last_error)
                                                : NULL);
    return o;
}

static void vt_pool_print(const char *name, const struct vt_pool *pool, bool refilling,
                          uint64_t slot)
{
    char size[32];
    printf("Pool of '%s': size %u, %zu ready, %zu filling%s\n", name, pool->size,
           vt_pool_count(pool, VT_POOL_READY), vt_pool_count(pool, VT_POOL_FILLING),
           refilling ? " (a refill runs)" : "");
    printf("Memory per idle slot: ~%s\n", vt_cli_size(slot, size, sizeof(size)));
    for (size_t i = 0; i < pool->n; i++)
        printf(" %-24s %s\n", pool->members[i].name, vt_pool_state_name(pool->members[i].state));
    if (pool->last_error)
        printf("Last refill stopped: %s\n", pool->last_error);
}

/* `pool TEMPLATE`: the pool as it is, and a refill started if it is short
 * and none runs (the first call after a host reboot refills it). */
static int vt_pool_show(struct vt_cli *cli, const struct vt_pool_args *a, vt_error_t *err)
{
    vt_autoerror vt_error_t spawn_err = NULL;
    struct vt_pool pool;
    bool refilling;
    if (vt_pool_inspect(cli->conn, cli->dirs, a->name, &pool, &refilling, err) < 0)
        return -1;
    if (!refilling && pool.n < pool.size) {
        if (vt_pool_refill_in_background(cli, a->name, &spawn_err) == 0)
            refilling = true;
        else
            vt_cli_note(cli, "Warning: the pool of '%s' is not refilled: %s", a->name,
                        spawn_err->msg);
    }
    uint64_t slot = vt_pool_slot_bytes(cli->conn, cli->dirs, a->name, &pool);
    if (a->json) {
        json_object *o = vt_pool_json(a->name, &pool, refilling, slot);
        printf("%s\n", json_object_to_json_string_ext(o, VT_CLI_JSON_FLAGS));
        json_object_put(o);
    } else {
        vt_pool_print(a->name, &pool, refilling, slot);
    }
    vt_pool_clear(&pool);
    return 0;
}

static int vt_pool_fill(struct vt_cli *cli, const struct vt_pool_args *a, vt_error_t *err)
{
    struct vt_progress progress;
    if (a->no_wait)
        return vt_pool_refill_in_background(cli, a->name, err);
    vt_cli_progress_begin(cli, &progress, 0);
    int rc = vt_pool_refill(cli->conn, cli->dirs, a->name, &progress, err);
    vt_cli_progress_end(cli);
    return rc;
}

int vt_cmd_pool(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    struct vt_pool_args a = {0};
    int rc = vt_pool_parse_args(cli, argc, argv, &a, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    if (vt_cli_connect(cli, err) < 0)
        return -1;
    if (!a.resize && !a.refill)
        return vt_pool_show(cli, &a, err);
    if (a.resize && vt_pool_resize(cli->conn, cli->dirs, a.name, a.size, err) < 0)
        return -1;
    if ((a.refill || a.size > 0) && vt_pool_fill(cli, &a, err) < 0)
        return -1;
    if (a.resize)
        vt_cli_note(cli, a.size == 0 ? "Pool of '%s' drained"
                         : a.no_wait ? "Pool of '%s' filling in the background"
                                     : "Pool of '%s' ready",
                    a.name);
    return 0;
}

int vt_cmd_take(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h')
            return vt_cli_help(cli);
        return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind >= argc || argc - optind > 2)
        return vt_cli_usage(cli, err, "take: give a TEMPLATE and at most one NAME");
    const char *template_name = argv[optind], *name = argv[optind + 1];
    struct vt_take take = {0};
    if (vt_cli_connect(cli, err) < 0 ||
        vt_pool_take(cli->conn, cli->dirs, template_name, name, &take, err) < 0)
        return -1;
    printf("%s\n", take.name);
    fflush(stdout);
    if (name)
        vt_cli_note(cli, "Started '%s' the ordinary way: pool clones keep the names they were "
                         "started with (libvirt cannot rename a running domain)", name);
    else if (!take.from_pool && take.skipped)
        vt_cli_note(cli, "No member of the pool of '%s' resumed (the last: %s): started '%s' the "
                         "ordinary way", template_name, take.skipped, take.name);
    else if (!take.from_pool)
        vt_cli_note(cli, "The pool of '%s' is empty: started '%s' the ordinary way", template_name,
                    take.name);
    vt_autoerror vt_error_t spawn_err = NULL;
    if (take.refill && vt_pool_refill_in_background(cli, template_name, &spawn_err) < 0)
        vt_cli_note(cli, "Warning: the pool of '%s' is not refilled: %s", template_name,
                    spawn_err->msg);
    vt_take_clear(&take);
    return 0;
}
