#include "console.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>

#include "cleanup.h"
#include "clock.h"
#include "fileio.h"

#define VT_CONSOLE_MAX (64 * 1024 * 1024)
#define VT_CONSOLE_POLL_MS 20
#define VT_CONSOLE_ALIVE_EVERY 25 /* polls: about every half second */

static void vt_regfree(regex_t **re)
{
    if (*re)
        regfree(*re);
}

static int vt_console_matches(const char *path, const regex_t *re, bool *matched,
                              vt_error_t *err)
{
    vt_autofree char *text = NULL;
    vt_autoerror vt_error_t read_err = NULL;
    *matched = false;
    if (vt_file_read(path, VT_CONSOLE_MAX, &text, NULL, &read_err) < 0) {
        /* virtlogd creates the file when the domain starts. */
        if (read_err && read_err->errnum == ENOENT)
            return 0;
        *err = vt_steal(read_err);
        return -1;
    }
    *matched = regexec(re, text, 0, NULL, 0) == 0;
    return 0;
}

int vt_console_wait(const char *path, const char *pattern, int64_t deadline,
                    vt_console_alive_fn alive, void *data, vt_error_t *err)
{
    regex_t re;
    __attribute__((cleanup(vt_regfree))) regex_t *compiled = NULL;
    int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
    if (rc != 0)
        return vt_error_set(err, 0, "invalid console pattern '%s'", pattern);
    compiled = &re;
    for (unsigned polls = 0;; polls++) {
        bool matched;
        if (vt_console_matches(path, &re, &matched, err) < 0)
            return -1;
        if (matched)
            return 0;
        if (polls % VT_CONSOLE_ALIVE_EVERY == 0 && alive && !alive(data))
            return vt_error_set(err, 0, "the domain stopped before its console matched '%s'",
                                pattern);
        if (vt_clock_ms() >= deadline)
            return vt_error_set(err, 0, "timed out waiting for the console to match '%s'",
                                pattern);
        vt_sleep_ms(VT_CONSOLE_POLL_MS);
    }
}
