#ifndef VT_CLI_H
#define VT_CLI_H

#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "error.h"
#include "paths.h"
#include "progress.h"

/* How every command prints JSON: indented, and paths without "\/". */
#define VT_CLI_JSON_FLAGS                                                                          \
    (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)

struct vt_command;

struct vt_cli {
    const struct vt_command *command; /* the subcommand being run */
    const char *uri;
    bool quiet;
    bool usage_error; /* main adds "Try 'virt-template --help'" */
    virConnectPtr conn;
    const struct vt_dirs *dirs;
    int progress_width; /* the progress line on stderr now, 0: none */
};

struct vt_command {
    const char *name;
    int (*run)(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
    const char *synopsis;
};

int vt_cmd_create(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_save(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_clone(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_list(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_info(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_delete(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_stats(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_check(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_pool(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_take(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);
int vt_cmd_detach(struct vt_cli *cli, int argc, char **argv, vt_error_t *err);

/* Opens cli->conn on first use, refusing libvirt or QEMU below the
 * supported range (versions.h). */
int vt_cli_connect(struct vt_cli *cli, vt_error_t *err);

/* --version: prints versions and features; fails on an unsupported stack. */
int vt_cli_version(struct vt_cli *cli, vt_error_t *err);

/* A usage error: one line, and main points at --help. */
int vt_cli_usage(struct vt_cli *cli, vt_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Progress chatter on stderr, silenced by --quiet. */
void vt_cli_note(const struct vt_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress of a wait (tool/progress.c): p reports to stderr when it is a
 * terminal and -q was not given, else nowhere. _end clears the line, also
 * after a failure, before anything else is printed. */
void vt_cli_progress_begin(struct vt_cli *cli, struct vt_progress *p, int timeout_s);
void vt_cli_progress_end(struct vt_cli *cli);

/* Parses a positive integer option value. */
int vt_cli_uint(struct vt_cli *cli, const char *opt, const char *value, unsigned *out,
                vt_error_t *err);

/* A subcommand's --help: its synopsis on stdout. */
int vt_cli_help(const struct vt_cli *cli);

/* "256.0 MiB" style sizes. */
const char *vt_cli_size(unsigned long long bytes, char *buf, size_t len);

#endif
