#include "stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "fileio.h"
#include "meta.h"
#include "pool-members.h"
#include "store.h"
#include "virt.h"

/* Adds domain `name` if libvirt says it runs. */
static int vt_stats_add(virConnectPtr conn, const struct vt_dirs *dirs,
                        struct vt_template_stats *s, const char *name, const char *role,
                        const char *mem_path, vt_error_t *err)
{
    vt_autodomain virDomainPtr dom = virDomainLookupByName(conn, name);
    if (dom == NULL || virDomainIsActive(dom) != 1)
        return 0;
    struct vt_domain_memory d = {.role = role};
    if (vt_virt_domain_pid(dirs, name, &d.pid, err) < 0 || vt_memstat_read(d.pid, mem_path, &d.mem, err) < 0) {
        if (virDomainIsActive(dom) == 1)
            return -1;
        vt_error_free(err); /* it stopped meanwhile: not running, not counted */
        return 0;
    }
    struct vt_domain_memory *bigger = realloc(s->domains, (s->count + 1) * sizeof(*bigger));
    if (bigger == NULL || (d.name = strdup(name)) == NULL) {
        s->domains = bigger ? bigger : s->domains;
        return vt_error_nomem(err);
    }
    s->domains = bigger;
    s->domains[s->count++] = d;
    s->total_pss += d.mem.pss;
    if (strcmp(role, "pool") == 0) {
        s->pool_slots++;
        s->pool_pss += d.mem.pss;
    }
    s->independent += d.mem.overhead + d.mem.ram_rss;
    return 0;
}

static uint64_t vt_stats_file_resident(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

int vt_stats_collect(virConnectPtr conn, const struct vt_dirs *dirs, const char *name,
                     struct vt_template_stats *s, vt_error_t *err)
{
    *s = (struct vt_template_stats){0};
    struct vt_meta meta __attribute__((cleanup(vt_meta_clear))) = {0};
    vt_autostrv char **clones = NULL;
    if (vt_store_load(dirs, name, &meta, err) < 0 || vt_virt_list_clones(conn, name, &clones, err) < 0)
        return -1;
    struct vt_dirs tdirs;
    vt_store_template_dirs(dirs, &meta, &tdirs);
    vt_autofree char *mem_path = vt_path_template(&tdirs, VT_PATH_MEM, name, err);
    if (mem_path == NULL)
        return -1;
    if ((s->name = strdup(name)) == NULL)
        return vt_error_nomem(err);
    s->memory_bytes = meta.memory_bytes;
    s->file_resident = vt_stats_file_resident(mem_path);
    int rc = meta.state == VT_TEMPLATE_BOOTING
                 ? vt_stats_add(conn, dirs, s, name, "template", mem_path, err)
                 : 0;
    struct vt_pool pool = {0};
    vt_autoerror vt_error_t no_pool = NULL;
    vt_pool_load(dirs, name, &pool, &no_pool);
    for (char **c = clones; rc == 0 && *c; c++)
        rc = vt_stats_add(conn, dirs, s, *c, vt_pool_find(&pool, *c) ? "pool" : "clone", mem_path,
                          err);
    vt_pool_clear(&pool);
    if (rc < 0)
        vt_stats_clear(s);
    return rc;
}

uint64_t vt_stats_saved_bytes(const struct vt_template_stats *s)
{
    return s->independent > s->total_pss ? s->independent - s->total_pss : 0;
}

void vt_stats_clear(struct vt_template_stats *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->domains[i].name);
    free(s->domains);
    free(s->name);
    *s = (struct vt_template_stats){0};
}
