/* Does KVM run guest code here? A vCPU in real mode runs three
 * instructions (mov al, 42; out 0x10, al; hlt) from one page of guest
 * memory: the OUT must reach us with 42, then the HLT. That proves the
 * kernel module works and the CPU's virtualisation is usable, in a few ms;
 * not that a whole OS boots (under nested virtualisation KVM can run this
 * and still hang Linux: tests/guest/probe-accel.sh boots one). It runs in a
 * child, so that a KVM_RUN that never returns cannot hang the caller. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "clock.h"

#define VT_KVM_TIMEOUT_MS 3000
#define VT_KVM_GUEST_ADDR 0x1000
#define VT_KVM_PORT 0x10
#define VT_KVM_VALUE 42

static const unsigned char vt_kvm_code[] = {0xb0, VT_KVM_VALUE, 0xe6, VT_KVM_PORT, 0xf4};

/* The vCPU at the start of vt_kvm_code, in real mode. */
static int vt_kvm_setup_vcpu(int vcpu, vt_error_t *err)
{
    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return vt_error_set(err, errno, "KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    struct kvm_regs regs = {.rip = VT_KVM_GUEST_ADDR, .rflags = 2};
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return vt_error_set(err, errno, "cannot set the vCPU's registers");
    return 0;
}

/* Runs until the HLT that follows our OUT. */
static int vt_kvm_run(int kvm, int vcpu, vt_error_t *err)
{
    int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run =
        size > 0 ? mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0)
                 : MAP_FAILED;
    if (run == MAP_FAILED)
        return vt_error_set(err, errno, "cannot map the vCPU");
    bool out_seen = false;
    for (int exits = 0; exits < 4; exits++) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0)
            return vt_error_set(err, errno, "KVM_RUN");
        if (run->exit_reason == KVM_EXIT_HLT && out_seen)
            return 0;
        if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_OUT &&
            run->io.port == VT_KVM_PORT &&
            *((unsigned char *)run + run->io.data_offset) == VT_KVM_VALUE) {
            out_seen = true;
            continue;
        }
        return vt_error_set(err, 0, "the test vCPU stopped with KVM exit reason %u",
                            run->exit_reason);
    }
    return vt_error_set(err, 0, "the test vCPU did not halt");
}

/* In the child, which exits right after: what it maps stays mapped. */
static int vt_kvm_child(const char *dev, vt_error_t *err)
{
    vt_autoclose int kvm = open(dev, O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return vt_error_set(err, errno, "cannot open '%s'", dev);
    int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (api != KVM_API_VERSION)
        return vt_error_set(err, 0, "KVM API version %d, not %d", api, KVM_API_VERSION);
    vt_autoclose int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return vt_error_set(err, errno, "KVM_CREATE_VM");
    void *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return vt_error_set(err, 0, "no memory for the test guest");
    memcpy(mem, vt_kvm_code, sizeof(vt_kvm_code));
    struct kvm_userspace_memory_region region = {.guest_phys_addr = VT_KVM_GUEST_ADDR,
                                                 .memory_size = 0x1000,
                                                 .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return vt_error_set(err, errno, "KVM_SET_USER_MEMORY_REGION");
    vt_autoclose int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return vt_error_set(err, errno, "KVM_CREATE_VCPU");
    if (vt_kvm_setup_vcpu(vcpu, err) < 0)
        return -1;
    return vt_kvm_run(kvm, vcpu, err);
}

/* The child's one line: "ok" or why not. */
static int vt_kvm_wait_child(pid_t pid, int fd, vt_error_t *err)
{
    char line[256] = "";
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, VT_KVM_TIMEOUT_MS);
    ssize_t n = ready > 0 ? read(fd, line, sizeof(line) - 1) : -1;
    if (ready <= 0)
        kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (ready == 0)
        return vt_error_set(err, 0, "KVM_RUN did not return within %d s", VT_KVM_TIMEOUT_MS / 1000);
    if (n <= 0)
        return vt_error_set(err, 0, "the KVM test process failed");
    line[n] = '\0';
    if (strcmp(line, "ok") != 0)
        return vt_error_set(err, 0, "%s", line);
    return 0;
}

int vt_kvm_run_test(const char *dev, long *ms, vt_error_t *err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return vt_error_set(err, errno, "pipe");
    int64_t start = vt_clock_ms();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return vt_error_set(err, errno, "fork");
    }
    if (pid == 0) {
        vt_autoerror vt_error_t child_err = NULL;
        const char *line = vt_kvm_child(dev, &child_err) < 0 ? child_err->msg : "ok";
        ssize_t ignored = write(fds[1], line, strlen(line));
        (void)ignored;
        _exit(0); /* the child of a fork: nothing of the parent's to flush */
    }
    close(fds[1]);
    int rc = vt_kvm_wait_child(pid, fds[0], err);
    close(fds[0]);
    *ms = (long)(vt_clock_ms() - start);
    return rc;
}
