/*
 * What a program never needs, refused in every sandbox on top of the engine's own filter:
 * Docker's default profile under runc (Debian's lacks upstream's AF_VSOCK rule, and Docker
 * before 25 allows io_uring), nothing under gVisor (which does not load Docker's profile).
 *
 * The filter is built from the table below, so no jump offset is counted by hand: each rule
 * becomes one block that either returns its errno or falls through to the next rule.
 */
#define _GNU_SOURCE
#include "seccomp.h"
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "runbox-run: unknown architecture for the seccomp filter"
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#define SYS_io_uring_register 427
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

#define NAMESPACE_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

enum test { ALWAYS, ARG_EQUALS, ARG_MASKED_EQUALS, ARG_HAS_ANY };

struct rule {
  long nr;
  enum test test;
  int arg;           /* which argument (its low 32 bits) */
  unsigned mask;     /* ARG_MASKED_EQUALS, ARG_HAS_ANY */
  unsigned value;    /* ARG_EQUALS, ARG_MASKED_EQUALS */
  int error;
};

static const struct rule rules[] = {
  /* vsock is not behind the network namespace: a VM's host may listen on it. */
  {SYS_socket, ARG_EQUALS, 0, 0, AF_VSOCK, EPERM},
  {SYS_socketpair, ARG_EQUALS, 0, 0, AF_VSOCK, EPERM},
  /* io_uring: a large kernel surface with a record of escapes; Docker 25 refuses it too. */
  {SYS_io_uring_setup, ALWAYS, 0, 0, 0, EPERM},
  {SYS_io_uring_enter, ALWAYS, 0, 0, 0, EPERM},
  {SYS_io_uring_register, ALWAYS, 0, 0, 0, EPERM},
  /* New namespaces: inside gVisor a user namespace would give every capability there and lift
     RLIMIT_NPROC. clone3 hides its flags behind a pointer: ENOSYS, and libc falls back to clone. */
  {SYS_clone3, ALWAYS, 0, 0, 0, ENOSYS},
  {SYS_setns, ALWAYS, 0, 0, 0, EPERM},
  {SYS_unshare, ARG_HAS_ANY, 0, NAMESPACE_FLAGS, 0, EPERM},
  {SYS_clone, ARG_HAS_ANY, 0, NAMESPACE_FLAGS, 0, EPERM},
  /* Device nodes, which gVisor lets a process without CAP_MKNOD make even on a nodev mount. */
#ifdef SYS_mknod
  {SYS_mknod, ARG_MASKED_EQUALS, 1, S_IFMT, S_IFCHR, EPERM},
  {SYS_mknod, ARG_MASKED_EQUALS, 1, S_IFMT, S_IFBLK, EPERM},
#endif
  {SYS_mknodat, ARG_MASKED_EQUALS, 2, S_IFMT, S_IFCHR, EPERM},
  {SYS_mknodat, ARG_MASKED_EQUALS, 2, S_IFMT, S_IFBLK, EPERM},
  /* Page-fault handling in user space: the usual tool to win kernel races. */
  {SYS_userfaultfd, ALWAYS, 0, 0, 0, EPERM},
};

#define NRULES (sizeof rules / sizeof rules[0])
#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RETURN(what) BPF_STMT(BPF_RET | BPF_K, (what))

int install_filter(void) {
  struct sock_filter program[8 + NRULES * 6];
  unsigned n = 0;
  /* Another ABI (i386, x32) would bypass every rule: refused as a whole. */
  program[n++] = (struct sock_filter)LOAD(arch);
  program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0);
  program[n++] = (struct sock_filter)RETURN(SECCOMP_RET_ERRNO | ENOSYS);
  program[n++] = (struct sock_filter)LOAD(nr);
#if defined(__x86_64__)
  program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 0, 1);
  program[n++] = (struct sock_filter)RETURN(SECCOMP_RET_ERRNO | ENOSYS);
#endif
  for (unsigned i = 0; i < NRULES; i++) {
    const struct rule *r = &rules[i];
    /* Block: [load nr] compare nr -> (no: past the block) [load arg, test -> (no: past)] return. */
    unsigned checks = r->test == ALWAYS ? 0 : r->test == ARG_MASKED_EQUALS ? 3 : 2;
    program[n++] = (struct sock_filter)LOAD(nr);
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)r->nr, 0, (unsigned char)(checks + 1));
    if (r->test != ALWAYS) program[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 8 * r->arg);
    if (r->test == ARG_MASKED_EQUALS) program[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, r->mask);
    if (r->test == ARG_EQUALS || r->test == ARG_MASKED_EQUALS)
      program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->value, 0, 1);
    if (r->test == ARG_HAS_ANY) program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, r->mask, 0, 1);
    program[n++] = (struct sock_filter)RETURN(SECCOMP_RET_ERRNO | (unsigned)r->error);
  }
  program[n++] = (struct sock_filter)RETURN(SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {(unsigned short)n, program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}
