/* Memory of one QEMU process, split the way templates share it: the guest
 * RAM mapped from the template's file (still shared, or made private by
 * copy-on-write) and QEMU's own overhead. From /proc/PID/smaps_rollup and
 * the template file's mapping in /proc/PID/smaps. All values in bytes. */
#ifndef VT_MEMSTAT_H
#define VT_MEMSTAT_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

struct vt_memstat {
    uint64_t pss;           /* whole process */
    uint64_t rss;
    uint64_t ram_rss;       /* template-file mapping: resident pages */
    uint64_t ram_pss;
    uint64_t ram_shared;    /* resident and still the file's pages */
    uint64_t ram_private;   /* copied on write ("Anonymous" in the mapping) */
    uint64_t ram_multi;     /* pages also mapped by another process */
    uint64_t overhead;      /* pss - ram_pss: QEMU, TCG, device memory */
};

/* Adds "Pss:" and "Rss:" of an smaps_rollup text. */
int vt_memstat_parse_rollup(const char *text, struct vt_memstat *st, vt_error_t *err);

/* Adds the fields of every mapping of `mem_path` in an smaps text. */
int vt_memstat_parse_smaps(const char *text, const char *mem_path, struct vt_memstat *st,
                           vt_error_t *err);

/* "MemAvailable:" of a /proc/meminfo text, and of this host's. */
int vt_memstat_parse_available(const char *meminfo, uint64_t *bytes, vt_error_t *err);
int vt_memstat_available(uint64_t *bytes, vt_error_t *err);

int vt_memstat_read(pid_t pid, const char *mem_path, struct vt_memstat *st, vt_error_t *err);

#endif
