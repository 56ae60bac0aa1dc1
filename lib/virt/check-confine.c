/* AppArmor and SELinux: when libvirt confines QEMU, the paths virt-template
 * adds in <qemu:commandline> (the memory file, the QMP socket) need rules
 * or labels of their own (docs/design.md, Traps: confinement). */
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "fileio.h"

#define VT_CHECK_TEXT_MAX (1024 * 1024)

/* The first byte of a one-line sysfs file, '\0' if it cannot be read. */
static char vt_check_sysfs_flag(const char *path)
{
    vt_autofree char *text = NULL;
    vt_autoerror vt_error_t ignored = NULL;
    if (vt_file_read(path, 64, &text, NULL, &ignored) < 0)
        return '\0';
    return text[0];
}

/* Does the file at path have a line matching the extended regex? */
static bool vt_check_file_matches(const char *path, const char *pattern)
{
    vt_autofree char *text = NULL;
    vt_autoerror vt_error_t ignored = NULL;
    regex_t re;
    if (vt_file_read(path, VT_CHECK_TEXT_MAX, &text, NULL, &ignored) < 0 ||
        regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0)
        return false;
    bool found = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return found;
}

/* Our snippet allows exactly the configured memory and run directories. */
static bool vt_check_snippet_ok(const struct vt_check_ctx *c)
{
    char mem[PATH_MAX + 32], run[PATH_MAX + 32];
    snprintf(mem, sizeof(mem), "%s/*/memory rw,", c->dirs->mem);
    snprintf(run, sizeof(run), "%s/*.qmp rw,", c->dirs->run);
    vt_autofree char *text = NULL;
    vt_autoerror vt_error_t ignored = NULL;
    if (vt_file_read(c->env->apparmor_snippet, VT_CHECK_TEXT_MAX, &text, NULL, &ignored) < 0)
        return false;
    return strstr(text, mem) && strstr(text, run);
}

/* libvirt >= 9.x's abstraction has "include if exists
 * <abstractions/libvirt-qemu.d>"; Debian 12's (9.0) has not, and only its
 * site file local/abstractions/libvirt-qemu can pull the snippet in. In
 * AppArmor "#include" is a directive, "# include" a comment. */
static bool vt_check_snippet_included(const struct vt_check_ctx *c)
{
    static const char *const dir_include =
        "^[[:space:]]*#?include([[:space:]]+if[[:space:]]+exists)?[[:space:]]*"
        "<abstractions/libvirt-qemu\\.d(/virt-template)?>";
    return vt_check_file_matches(c->env->apparmor_abstraction, dir_include) ||
           vt_check_file_matches(c->env->apparmor_local, dir_include);
}

int vt_check_apparmor(struct vt_check_ctx *c)
{
    if (vt_check_sysfs_flag(c->env->apparmor_enabled) != 'Y')
        return vt_check_add(c, VT_CHECK_PASS, "AppArmor", NULL, "not active in the kernel");
    if (c->conn && !c->apparmor_driver)
        return vt_check_add(c, VT_CHECK_PASS, "AppArmor", NULL,
                            "active, but libvirt does not confine QEMU with it");
    if (!vt_check_snippet_ok(c))
        return vt_check_add(c, VT_CHECK_FAIL, "AppArmor",
                            "reinstall virt-template (make install, or the package)",
                            "'%s' is missing or does not allow '%s/*/memory' and '%s/*.qmp': "
                            "confined clones cannot start",
                            c->env->apparmor_snippet, c->dirs->mem, c->dirs->run);
    if (!vt_check_snippet_included(c)) {
        char fix[2 * PATH_MAX];
        snprintf(fix, sizeof(fix),
                 "echo '#include <abstractions/libvirt-qemu.d/virt-template>' >> %s",
                 c->env->apparmor_local);
        return vt_check_add(c, VT_CHECK_FAIL, "AppArmor", fix,
                            "libvirt's '%s' does not include abstractions/libvirt-qemu.d: our "
                            "rules are not used and confined clones cannot start",
                            c->env->apparmor_abstraction);
    }
    return vt_check_add(c, VT_CHECK_PASS, "AppArmor", NULL,
                        "'%s' allows the memory files and QMP sockets; libvirt's abstraction "
                        "includes it",
                        c->env->apparmor_snippet);
}

/* Does path carry an SELinux label with `type`? */
static bool vt_check_labelled(const char *path, const char *type)
{
    char label[256];
    ssize_t n = getxattr(path, "security.selinux", label, sizeof(label) - 1);
    if (n <= 0)
        return false;
    label[n] = '\0';
    char needle[128];
    snprintf(needle, sizeof(needle), ":%s:", type);
    return strstr(label, needle) != NULL;
}

int vt_check_selinux(struct vt_check_ctx *c)
{
    char mode = vt_check_sysfs_flag(c->env->selinux_enforce);
    if (mode == '\0')
        return vt_check_add(c, VT_CHECK_PASS, "SELinux", NULL, "not active");
    const char *name = mode == '1' ? "enforcing" : "permissive";
    if (c->conn && !c->selinux_driver)
        return vt_check_add(c, VT_CHECK_PASS, "SELinux", NULL,
                            "%s, but libvirt does not confine QEMU with it", name);
    const char *mem = c->dirs->mem, *run = c->dirs->run;
    bool mem_ok = vt_check_labelled(mem, "svirt_image_t");
    bool run_ok = access(run, F_OK) < 0 || vt_check_labelled(run, "qemu_var_run_t");
    if (mem_ok && run_ok)
        return vt_check_add(c, VT_CHECK_PASS, "SELinux", NULL,
                            "%s; '%s' is svirt_image_t, '%s' qemu_var_run_t", name, mem, run);
    char fix[4 * PATH_MAX];
    snprintf(fix, sizeof(fix),
             "semanage fcontext -a -t svirt_image_t '%s(/.*)?' && semanage fcontext -a -t "
             "qemu_var_run_t '%s(/.*)?' && restorecon -R %s %s",
             mem, run, mem, run);
    return vt_check_add(c, mode == '1' ? VT_CHECK_FAIL : VT_CHECK_WARN, "SELinux", fix,
                        "%s, and '%s' is not labelled %s: confined clones cannot open it", name,
                        mem_ok ? run : mem, mem_ok ? "qemu_var_run_t" : "svirt_image_t");
}
