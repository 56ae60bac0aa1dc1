/* stats: memory of each running clone (and a booting template), what it
 * still shares with the template, and what the sharing saves. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "cli.h"
#include "stats.h"
#include "store.h"

static json_object *vt_stats_domain_json(const struct vt_domain_memory *d)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "role", json_object_new_string(d->role));
    json_object_object_add(o, "pid", json_object_new_int(d->pid));
    json_object_object_add(o, "pss_bytes", json_object_new_int64((int64_t)d->mem.pss));
    json_object_object_add(o, "guest_shared_bytes", json_object_new_int64((int64_t)d->mem.ram_shared));
    json_object_object_add(o, "guest_private_bytes", json_object_new_int64((int64_t)d->mem.ram_private));
    json_object_object_add(o, "guest_shared_with_others_bytes", json_object_new_int64((int64_t)d->mem.ram_multi));
    json_object_object_add(o, "guest_pss_bytes", json_object_new_int64((int64_t)d->mem.ram_pss));
    json_object_object_add(o, "overhead_bytes", json_object_new_int64((int64_t)d->mem.overhead));
    return o;
}

static json_object *vt_stats_json(const struct vt_template_stats *s)
{
    json_object *o = json_object_new_object();
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < s->count; i++)
        json_object_array_add(list, vt_stats_domain_json(&s->domains[i]));
    json_object_object_add(o, "template", json_object_new_string(s->name));
    json_object_object_add(o, "memory_bytes", json_object_new_int64((int64_t)s->memory_bytes));
    json_object_object_add(o, "file_resident_bytes", json_object_new_int64((int64_t)s->file_resident));
    json_object_object_add(o, "domains", list);
    json_object_object_add(o, "total_pss_bytes", json_object_new_int64((int64_t)s->total_pss));
    json_object_object_add(o, "independent_bytes", json_object_new_int64((int64_t)s->independent));
    json_object_object_add(o, "saved_bytes", json_object_new_int64((int64_t)vt_stats_saved_bytes(s)));
    json_object_object_add(o, "pool_slots", json_object_new_int64((int64_t)s->pool_slots));
    json_object_object_add(o, "pool_pss_bytes", json_object_new_int64((int64_t)s->pool_pss));
    return o;
}

static void vt_stats_print(const struct vt_template_stats *s)
{
    char a[32], b[32], c[32], d[32];
    printf("Template %s: guest RAM %s, %s of its file in RAM\n", s->name,
           vt_cli_size(s->memory_bytes, a, sizeof(a)), vt_cli_size(s->file_resident, b, sizeof(b)));
    printf(" %-24s %-9s %-11s %-13s %-13s %s\n", "Domain", "Role", "PSS", "Guest shared",
           "Guest private", "QEMU overhead");
    for (size_t i = 0; i < s->count; i++) {
        const struct vt_domain_memory *m = &s->domains[i];
        printf(" %-24s %-9s %-11s %-13s %-13s %s\n", m->name, m->role,
               vt_cli_size(m->mem.pss, a, sizeof(a)), vt_cli_size(m->mem.ram_shared, b, sizeof(b)),
               vt_cli_size(m->mem.ram_private, c, sizeof(c)),
               vt_cli_size(m->mem.overhead, d, sizeof(d)));
    }
    uint64_t saved = vt_stats_saved_bytes(s);
    printf("Total PSS of %zu running: %s; as independent copies: %s; saved: %s\n", s->count,
           vt_cli_size(s->total_pss, a, sizeof(a)), vt_cli_size(s->independent, b, sizeof(b)),
           vt_cli_size(saved, c, sizeof(c)));
    if (s->pool_slots > 0)
        printf("Warm pool: %zu idle slot(s), %s PSS, %s per slot\n", s->pool_slots,
               vt_cli_size(s->pool_pss, a, sizeof(a)),
               vt_cli_size(s->pool_pss / s->pool_slots, b, sizeof(b)));
    printf("\n");
}

static int vt_stats_one(struct vt_cli *cli, const char *name, json_object *array, vt_error_t *err)
{
    struct vt_template_stats s;
    if (vt_stats_collect(cli->conn, cli->dirs, name, &s, err) < 0)
        return -1;
    if (array)
        json_object_array_add(array, vt_stats_json(&s));
    else
        vt_stats_print(&s);
    vt_stats_clear(&s);
    return 0;
}

int vt_cmd_stats(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h': return vt_cli_help(cli);
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        return vt_cli_usage(cli, err, "stats: give at most one TEMPLATE");
    vt_autostrv char **names = NULL;
    if (optind < argc) {
        names = calloc(2, sizeof(char *));
        if (names == NULL || (names[0] = strdup(argv[optind])) == NULL)
            return vt_error_nomem(err);
    }
    if (vt_cli_connect(cli, err) < 0 || (names == NULL && vt_store_list(cli->dirs, &names, err) < 0))
        return -1;
    json_object *array = json ? json_object_new_array() : NULL;
    int rc = 0;
    for (char **n = names; rc == 0 && *n; n++)
        rc = vt_stats_one(cli, *n, array, err);
    if (rc == 0 && array)
        printf("%s\n", json_object_to_json_string_ext(array, VT_CLI_JSON_FLAGS));
    json_object_put(array);
    return rc;
}
