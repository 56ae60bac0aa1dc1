/* list and info: what the store holds, with clone counts from libvirt. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "cli.h"
#include "store.h"
#include "template.h"

static int vt_parse_json_flag(struct vt_cli *cli, int argc, char **argv, bool *json,
                              vt_error_t *err)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': *json = true; break;
        case 'h': return vt_cli_help(cli) + 1;
        default: return vt_cli_usage(cli, err, "unknown option '%s'", argv[optind - 1]);
        }
    }
    return 0;
}

static json_object *vt_info_json(const struct vt_template_info *info)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(info->meta.name));
    json_object_object_add(o, "state", json_object_new_string(vt_template_info_state(info)));
    json_object_object_add(o, "memory_bytes",
                           json_object_new_int64((int64_t)info->meta.memory_bytes));
    json_object_object_add(o, "state_bytes",
                           json_object_new_int64(info->state_size < 0 ? 0 : info->state_size));
    json_object_object_add(o, "clones", json_object_new_int((int)info->clones));
    json_object *clones = json_object_new_array();
    for (unsigned i = 0; i < info->clones; i++) {
        const struct vt_clone_status *c = &info->clone_status[i];
        json_object *d = json_object_new_object();
        json_object_object_add(d, "name", json_object_new_string(c->name));
        json_object_object_add(d, "state", json_object_new_string(c->state));
        json_object_object_add(d, "managed_save", json_object_new_boolean(c->managed_save));
        json_object *fw = json_object_new_array();
        for (size_t k = 0; k < c->nforwards; k++) {
            json_object *f = json_object_new_object();
            json_object_object_add(f, "host", json_object_new_int((int)c->forwards[k].host));
            json_object_object_add(f, "guest", json_object_new_int((int)c->forwards[k].guest));
            json_object_array_add(fw, f);
        }
        json_object_object_add(d, "forwards", fw);
        json_object_array_add(clones, d);
    }
    json_object_object_add(o, "clone_domains", clones);
    json_object_object_add(o, "memory_path", json_object_new_string(info->memory_path));
    json_object_object_add(o, "memory_survives_reboot",
                           json_object_new_boolean(!info->memory_volatile));
    json_object *disks = json_object_new_array();
    for (size_t i = 0; i < info->meta.ndisks; i++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "target", json_object_new_string(info->meta.disks[i].target));
        json_object_object_add(d, "format", json_object_new_string(info->meta.disks[i].format));
        json_object_array_add(disks, d);
    }
    json_object_object_add(o, "disks", disks);
    if (info->disk_dir)
        json_object_object_add(o, "disk_dir", json_object_new_string(info->disk_dir));
    json_object_object_add(o, "created_ms", json_object_new_int64(info->meta.created_ms));
    json_object_object_add(o, "boot_ms", json_object_new_int64(info->meta.boot_ms));
    json_object_object_add(o, "save_ms", json_object_new_int64(info->meta.save_ms));
    return o;
}

/* One line per clone, under the template (list) or its "Clones:" line
 * (info); a managed save matters: that clone's next start is not the
 * template point. */
static void vt_print_clones(const struct vt_template_info *info, int indent, int width)
{
    for (unsigned i = 0; i < info->clones; i++) {
        const struct vt_clone_status *c = &info->clone_status[i];
        printf("%*s%-*s %s%s", indent, "", width, c->name, c->state,
               c->managed_save ? " (managed save: resumes its own state)" : "");
        for (size_t k = 0; k < c->nforwards; k++)
            printf("%s127.0.0.1:%u->%u", k == 0 ? "; forwards " : ", ", c->forwards[k].host,
                   c->forwards[k].guest);
        printf("\n");
    }
}

static void vt_info_print(const struct vt_template_info *info)
{
    char mem[32], state[32];
    printf("%-16s %s\n", "Name:", info->meta.name);
    printf("%-16s %s\n", "State:", vt_template_info_state(info));
    printf("%-16s %s\n", "Memory:", vt_cli_size(info->meta.memory_bytes, mem, sizeof(mem)));
    printf("%-16s %s\n", "State size:",
           info->state_size < 0
               ? "-"
               : vt_cli_size((unsigned long long)info->state_size, state, sizeof(state)));
    printf("%-16s %s%s\n", "Memory file:", info->memory_path,
           info->memory_volatile ? " (tmpfs: lost at host reboot)" : "");
    if (info->meta.ndisks > 0) {
        printf("%-16s", "Disks:");
        for (size_t i = 0; i < info->meta.ndisks; i++)
            printf(" %s (%s)", info->meta.disks[i].target, info->meta.disks[i].format);
        printf("; base images and clones' overlays in %s\n", info->disk_dir);
    }
    printf("%-16s %u\n", "Clones:", info->clones);
    vt_print_clones(info, 2, 14);
    if (info->meta.boot_ms >= 0)
        printf("%-16s %.2f s\n", "Boot to ready:", (double)info->meta.boot_ms / 1000);
    if (info->meta.save_ms >= 0)
        printf("%-16s %.3f s\n", "Save time:", (double)info->meta.save_ms / 1000);
}

int vt_cmd_info(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    bool json = false;
    int rc = vt_parse_json_flag(cli, argc, argv, &json, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    if (optind + 1 != argc)
        return vt_cli_usage(cli, err, "info: give exactly one TEMPLATE");
    struct vt_template_info info;
    if (vt_cli_connect(cli, err) < 0 ||
        vt_template_describe(cli->conn, cli->dirs, argv[optind], &info, err) < 0)
        return -1;
    if (json) {
        json_object *o = vt_info_json(&info);
        printf("%s\n", json_object_to_json_string_ext(o, VT_CLI_JSON_FLAGS));
        json_object_put(o);
    } else {
        vt_info_print(&info);
    }
    vt_template_info_clear(&info);
    return 0;
}

static void vt_list_row(const struct vt_template_info *info)
{
    char mem[32], state[32];
    printf(" %-24s %-8s %-11s %-11s %u\n", info->meta.name, vt_template_info_state(info),
           vt_cli_size(info->meta.memory_bytes, mem, sizeof(mem)),
           info->state_size < 0
               ? "-"
               : vt_cli_size((unsigned long long)info->state_size, state, sizeof(state)),
           info->clones);
    vt_print_clones(info, 3, 22);
}

int vt_cmd_list(struct vt_cli *cli, int argc, char **argv, vt_error_t *err)
{
    bool json = false;
    int rc = vt_parse_json_flag(cli, argc, argv, &json, err);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    if (optind != argc)
        return vt_cli_usage(cli, err, "list: unexpected argument '%s'", argv[optind]);
    vt_autostrv char **names = NULL;
    if (vt_cli_connect(cli, err) < 0 || vt_store_list(cli->dirs, &names, err) < 0)
        return -1;
    json_object *array = json ? json_object_new_array() : NULL;
    if (!json)
        printf(" %-24s %-8s %-11s %-11s %s\n%s\n", "Name", "State", "Memory", "State size",
               "Clones", "----------------------------------------------------------------");
    for (char **n = names; *n; n++) {
        struct vt_template_info info;
        vt_autoerror vt_error_t skip = NULL;
        /* A template removed or half-written meanwhile is not listed. */
        if (vt_template_describe(cli->conn, cli->dirs, *n, &info, &skip) < 0)
            continue;
        if (json)
            json_object_array_add(array, vt_info_json(&info));
        else
            vt_list_row(&info);
        vt_template_info_clear(&info);
    }
    if (json) {
        printf("%s\n", json_object_to_json_string_ext(array, VT_CLI_JSON_FLAGS));
        json_object_put(array);
    }
    return 0;
}
