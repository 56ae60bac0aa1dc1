#include "memstat.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fileio.h"

#define VT_SMAPS_MAX (64 * 1024 * 1024)

/* "Name:   123 kB" → bytes, when the line is that field. */
static bool vt_memstat_field(const char *line, const char *name, uint64_t *bytes)
{
    size_t len = strlen(name);
    if (strncmp(line, name, len) != 0 || line[len] != ':')
        return false;
    *bytes = strtoull(line + len + 1, NULL, 10) * 1024;
    return true;
}

/* A mapping header: "start-end perms offset dev inode   path". */
static const char *vt_memstat_header_path(const char *line)
{
    if (strchr(line, '-') == NULL || strchr(line, ':') == NULL)
        return NULL;
    int fields = 0;
    const char *p = line;
    for (; *p && fields < 5; fields++) {
        p += strcspn(p, " ");
        p += strspn(p, " ");
    }
    return fields == 5 ? p : NULL;
}

static bool vt_memstat_is_header(const char *line)
{
    /* Field lines start with a capitalised name; headers with "start-end ". */
    const char *dash = strchr(line, '-'), *space = strchr(line, ' ');
    return line[0] != '\0' && strchr("0123456789abcdef", line[0]) != NULL && dash && space &&
           dash < space;
}

int vt_memstat_parse_rollup(const char *text, struct vt_memstat *st, vt_error_t *err)
{
    bool found = false;
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        uint64_t v;
        if (vt_memstat_field(line, "Pss", &v)) {
            st->pss += v;
            found = true;
        } else if (vt_memstat_field(line, "Rss", &v)) {
            st->rss += v;
        }
    }
    return found ? 0 : vt_error_set(err, 0, "smaps_rollup has no Pss");
}

static void vt_memstat_add_field(const char *line, struct vt_memstat *st)
{
    uint64_t v;
    if (vt_memstat_field(line, "Rss", &v))
        st->ram_rss += v;
    else if (vt_memstat_field(line, "Pss", &v))
        st->ram_pss += v;
    else if (vt_memstat_field(line, "Anonymous", &v))
        st->ram_private += v;
    else if (vt_memstat_field(line, "Shared_Clean", &v) || vt_memstat_field(line, "Shared_Dirty", &v))
        st->ram_multi += v;
}

int vt_memstat_parse_smaps(const char *text, const char *mem_path, struct vt_memstat *st,
                           vt_error_t *err)
{
    bool in_ram = false;
    size_t path_len = strlen(mem_path);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        if (vt_memstat_is_header(line)) {
            const char *path = vt_memstat_header_path(line);
            in_ram = path && strncmp(path, mem_path, path_len) == 0 &&
                     (path[path_len] == '\n' || path[path_len] == '\0');
        } else if (in_ram) {
            vt_memstat_add_field(line, st);
        }
    }
    if (st->ram_private > st->ram_rss)
        return vt_error_set(err, 0, "smaps: inconsistent mapping of '%s'", mem_path);
    st->ram_shared = st->ram_rss - st->ram_private;
    return 0;
}

static int vt_memstat_read_file(pid_t pid, const char *name, char **text, vt_error_t *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
    return vt_file_read(path, VT_SMAPS_MAX, text, NULL, err);
}

int vt_memstat_read(pid_t pid, const char *mem_path, struct vt_memstat *st, vt_error_t *err)
{
    *st = (struct vt_memstat){0};
    vt_autofree char *rollup = NULL, *smaps = NULL;
    if (vt_memstat_read_file(pid, "smaps_rollup", &rollup, err) < 0 ||
        vt_memstat_parse_rollup(rollup, st, err) < 0 ||
        vt_memstat_read_file(pid, "smaps", &smaps, err) < 0 ||
        vt_memstat_parse_smaps(smaps, mem_path, st, err) < 0)
        return -1;
    st->overhead = st->pss > st->ram_pss ? st->pss - st->ram_pss : 0;
    return 0;
}

int vt_memstat_parse_available(const char *meminfo, uint64_t *bytes, vt_error_t *err)
{
    const char *line = strstr(meminfo, "MemAvailable:");
    unsigned long long kib;
    if (line == NULL || sscanf(line, "MemAvailable: %llu kB", &kib) != 1)
        return vt_error_set(err, 0, "/proc/meminfo has no 'MemAvailable:' line");
    *bytes = (uint64_t)kib * 1024;
    return 0;
}

int vt_memstat_available(uint64_t *bytes, vt_error_t *err)
{
    vt_autofree char *text = NULL;
    if (vt_file_read("/proc/meminfo", VT_SMAPS_MAX, &text, NULL, err) < 0)
        return -1;
    return vt_memstat_parse_available(text, bytes, err);
}
