/* What a waiting command shows on stderr: one line, rewritten in place,
 * saying what it waits for and for how long against its timeout. Only on a
 * terminal and without -q: piped or logged, stderr stays one line per
 * event. Plain \r and spaces, no escape sequences (TERM=dumb works). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"

static void vt_cli_progress_report(void *data, const char *what, int64_t elapsed_ms,
                                   int64_t timeout_ms)
{
    struct vt_cli *cli = data;
    char line[VT_PROGRESS_WHAT_MAX + 64];
    int len = timeout_ms > 0
                  ? snprintf(line, sizeof(line), "virt-template: %s: %lld s of %lld s", what,
                             (long long)(elapsed_ms / 1000), (long long)(timeout_ms / 1000))
                  : snprintf(line, sizeof(line), "virt-template: %s: %.1f s", what,
                             (double)elapsed_ms / 1000);
    if (len < 0)
        return;
    if (len >= (int)sizeof(line))
        len = (int)sizeof(line) - 1;
    /* Spaces over what the last, longer line left. */
    fprintf(stderr, "\r%s%*s", line, cli->progress_width > len ? cli->progress_width - len : 0, "");
    fflush(stderr);
    cli->progress_width = len;
}

void vt_cli_progress_begin(struct vt_cli *cli, struct vt_progress *p, int timeout_s)
{
    memset(p, 0, sizeof(*p));
    p->start_ms = vt_clock_ms();
    p->timeout_ms = (int64_t)timeout_s * 1000;
    if (cli->quiet || !isatty(STDERR_FILENO))
        return;
    p->report = vt_cli_progress_report;
    p->data = cli;
}

void vt_cli_progress_end(struct vt_cli *cli)
{
    if (cli->progress_width == 0)
        return;
    fprintf(stderr, "\r%*s\r", cli->progress_width, "");
    fflush(stderr);
    cli->progress_width = 0;
}
