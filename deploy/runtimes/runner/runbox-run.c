/*
 * runbox-run: the supervisor inside every runbox sandbox, and its init (PID 1).
 *
 * It unpacks the run's files from stdin, runs the program with its own pipes, frames the
 * program's stdout and stderr onto its own stdout, enforces the wall, CPU and output
 * limits, kills every process the program left behind, and reports the exit status and
 * the resources used. Framing is what lets the worker tell program output from the
 * supervisor's report without trusting the program.
 *
 * Modes:
 *   default   one execution; the program reads the rest of stdin (live, for interactive runs).
 *   --tests   judge mode: after the files, stdin carries tests, each a 4-byte big-endian
 *             length and that many bytes of the test's stdin. Each test runs as a fresh
 *             process with the work folder restored to its unpacked state and /tmp and
 *             /dev/shm emptied; each gets its own limits and report. EOF ends the run.
 *
 * Frame: 1 type byte, 4-byte big-endian length, payload.
 *   'o' program stdout   'e' program stderr   'a' tar of the work folder (--collect)
 *   'r' report, JSON: {"exitCode","signal","timeMs","cpuTimeMs","memoryBytes",
 *                      "oomKilled","timedOut","cpuExceeded","outputExceeded"}
 *
 * Under runc it runs as the same unprivileged user as the program, so it is not a security
 * boundary: the worker enforces every limit again from outside (container kill, cgroup, byte
 * count). What keeps the program from speaking in its name: as PID 1 it gets no signal from
 * its own PID namespace that it has no handler for (SIGKILL and SIGSTOP included), and it
 * makes itself non-dumpable, so the program can neither ptrace it nor open its stdout (the
 * container's, where the frames go) through /proc/1/fd. As init it also reaps the orphans
 * the program leaves, so their zombies do not fill the pids limit.
 *
 * Under gVisor, which honours neither of those the way Linux does, it starts as root (root
 * of gVisor's kernel, an unprivileged uid on the host) and runs everything else as uid 1000,
 * with an empty capability bounding set; and since gVisor does not load Docker's seccomp
 * profile, every child gets a small filter of ours (install_filter).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <grp.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
#define SANDBOX_UID 1000
#define SANDBOX_GID 1000

/* --root: the run asked for root inside and the worker allowed it (gVisor or userns-remap):
   the program keeps uid 0 instead of dropping to the sandbox user. */
static int keep_root = 0;

/* No seccomp filter was in force when we started: gVisor does not load Docker's profile (its
   Sentry is the boundary), so what that profile forbids a process without capabilities and
   gVisor would allow is forbidden by our own filter below, in every child. */
static int own_filter = 0;

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "runbox-run: unknown architecture for the seccomp filter"
#endif
#define NAMESPACE_FLAGS \
  (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/*
 * Refuses new namespaces, as Docker's default profile does for a process without
 * CAP_SYS_ADMIN: unshare and clone with a namespace flag and setns fail with EPERM, clone3
 * with ENOSYS (its flags are behind a pointer; libc falls back to clone), and so does any
 * other ABI (i386, x32). Inside gVisor a user namespace would give the program every
 * capability there, and gVisor lets such a process past RLIMIT_NPROC, the program's
 * process limit under gVisor. Also refuses device nodes (mknod of a character or block
 * device, EPERM), which gVisor lets a process without CAP_MKNOD create even on a nodev mount.
 */
static int install_filter(void) {
  struct sock_filter filter[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000 /* __X32_SYSCALL_BIT */, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
#endif
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    /* mknod(path, mode, dev) and mknodat(dirfd, path, mode, dev): no character or block device. */
#ifdef SYS_mknod
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mknod, 2, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mknodat, 3, 0),
    BPF_STMT(BPF_JMP | BPF_JA | BPF_K, 8),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
    BPF_STMT(BPF_JMP | BPF_JA | BPF_K, 1),
#else
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mknodat, 0, 6),
#endif
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, S_IFMT),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, S_IFCHR, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, S_IFBLK, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
    /* unshare(flags) and clone(flags, ...): the flags are the first argument (low 32 bits). */
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NAMESPACE_FLAGS, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {(unsigned short)(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

struct limits {
  int64_t time_ms, cpu_ms;
  long long output_bytes;
};

struct report {
  int status, timed_out, cpu_exceeded, oom_killed;
  int exceeded; /* -1 none, 0 stdout, 1 stderr */
  int64_t time_ms, cpu_ms;
  long long memory_bytes;
};

static void die(const char *what) {
  dprintf(2, "runbox-run: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += n;
    len -= (size_t)n;
  }
}

/* Reads exactly len bytes from stdin; returns 0 at a clean EOF before the first byte. */
static int read_exact(void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(0, (char *)buf + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read stdin");
    if (n == 0) {
      if (got == 0) return 0;
      dprintf(2, "runbox-run: stdin ended inside a message\n");
      exit(125);
    }
    got += (size_t)n;
  }
  return 1;
}

static void frame(char type, const void *data, size_t len) {
  unsigned char head[5] = {(unsigned char)type, (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                           (unsigned char)(len >> 8), (unsigned char)len};
  write_all(1, head, 5);
  if (len) write_all(1, data, len);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* cpu_secs > 0: RLIMIT_CPU of the child (SIGXCPU at cpu_secs, SIGKILL a second later). */
static pid_t spawn(char *const argv[], int in_fd, int out_fd, int err_fd, int64_t cpu_secs) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (in_fd >= 0 && dup2(in_fd, 0) < 0) _exit(126);
    if (out_fd >= 0 && dup2(out_fd, 1) < 0) _exit(126);
    if (err_fd >= 0 && dup2(err_fd, 2) < 0) _exit(126);
    for (int fd = 3; fd < 1024; fd++) close(fd);
    signal(SIGPIPE, SIG_DFL);
    if (cpu_secs > 0) {
      struct rlimit rl = {(rlim_t)cpu_secs, (rlim_t)cpu_secs + 1};
      setrlimit(RLIMIT_CPU, &rl);
    }
    /* Started as root (under gVisor, where root inside is the Sentry's, not the host's):
       everything but the supervisor runs as the sandbox user, so the program cannot touch
       its supervisor at all. */
    if (getuid() == 0 && !keep_root && (setgroups(0, NULL) < 0 || setgid(SANDBOX_GID) < 0 || setuid(SANDBOX_UID) < 0)) {
      dprintf(2, "runbox-run: cannot drop to uid %d: %s\n", SANDBOX_UID, strerror(errno));
      _exit(126);
    }
    if (own_filter && install_filter() < 0) {
      dprintf(2, "runbox-run: cannot install the seccomp filter: %s\n", strerror(errno));
      _exit(126);
    }
    execvp(argv[0], argv);
    dprintf(2, "runbox-run: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  return pid;
}

static int wait_ok(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 0;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Reads one number from a cgroup file (the first, or the one after `key `); -1 when absent. */
static long long read_number(const char *path, const char *key) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[256];
  long long value = -1;
  while (fgets(line, sizeof line, f)) {
    if (!key) { value = atoll(line); break; }
    size_t k = strlen(key);
    if (strncmp(line, key, k) == 0 && line[k] == ' ') { value = atoll(line + k + 1); break; }
  }
  fclose(f);
  return value;
}

static long long cgroup_peak_memory(void) {
  long long v = read_number("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", NULL); /* v1 */
  if (v < 0) v = read_number("/sys/fs/cgroup/memory.peak", NULL);                      /* v2 */
  return v;
}

static long long cgroup_oom_kills(void) {
  long long v = read_number("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
  if (v < 0) v = read_number("/sys/fs/cgroup/memory.events", "oom_kill");
  return v < 0 ? 0 : v;
}

/* CPU time of every process in the container, ms; -1 when the cgroup cannot be read. */
static int64_t cgroup_cpu_ms(void) {
  long long ns = read_number("/sys/fs/cgroup/cpuacct/cpuacct.usage", NULL);
  if (ns < 0) ns = read_number("/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage", NULL);
  if (ns >= 0) return ns / 1000000;
  long long us = read_number("/sys/fs/cgroup/cpu.stat", "usage_usec");
  return us < 0 ? -1 : us / 1000;
}

static int64_t children_cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* Kills every process this user owns but us and init, and reaps what we inherited. */
static void kill_leftovers(long long *max_rss_kb) {
  kill(-1, SIGKILL);
  struct rusage ru;
  for (;;) {
    pid_t pid = wait4(-1, NULL, 0, &ru);
    if (pid > 0) {
      if (max_rss_kb && ru.ru_maxrss > *max_rss_kb) *max_rss_kb = ru.ru_maxrss;
      continue;
    }
    if (errno != EINTR) break;
  }
}

/* Unpacks a tar held in memory into the work folder. */
static void unpack(const char *archive, size_t len) {
  int p[2];
  if (pipe(p) < 0) die("pipe");
  char *argv[] = {"tar", "-x", "-m", "--no-same-owner", "-f", "-", NULL};
  pid_t tar = spawn(argv, p[0], -1, -1, 0);
  close(p[0]);
  write_all(p[1], archive, len);
  close(p[1]);
  if (!wait_ok(tar)) {
    dprintf(2, "runbox-run: unpacking the files failed\n");
    exit(125);
  }
}

/* Back to the state right after unpacking: the work folder, /tmp and /dev/shm emptied. */
static void restore(const char *archive, size_t len) {
  char *argv[] = {"/bin/sh", "-c",
                  "chmod -R u+rwX /work /tmp /dev/shm 2>/dev/null;"
                  "rm -rf /work/* /work/.[!.]* /work/..?* /tmp/* /tmp/.[!.]* /tmp/..?*"
                  " /dev/shm/* /dev/shm/.[!.]* /dev/shm/..?* 2>/dev/null;"
                  /* System V shared memory, queues and semaphores outlive processes: drop them too. */
                  " ipcrm --all 2>/dev/null; true",
                  NULL};
  wait_ok(spawn(argv, -1, -1, -1, 0));
  unpack(archive, len);
}

static void collect(void) {
  int p[2];
  if (pipe(p) < 0) die("pipe");
  char *argv[] = {"tar", "-c", "-f", "-", ".", NULL};
  pid_t tar = spawn(argv, -1, p[1], -1, 0);
  close(p[1]);
  char buf[CHUNK];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) != 0) {
    if (n < 0) { if (errno == EINTR) continue; die("read"); }
    frame('a', buf, (size_t)n);
  }
  close(p[0]);
  wait_ok(tar);
}

static void on_child(int sig) { (void)sig; }

/*
 * Runs the program once. Its stdin is the runner's own (input == NULL: files, then the
 * client's bytes) or a pipe fed from `input`. Output is framed; limits are enforced here.
 */
static void execute(char **argv, const struct limits *lim, const char *input, size_t input_len, struct report *r) {
  int out[2], err[2], in[2] = {-1, -1};
  if (pipe(out) < 0 || pipe(err) < 0) die("pipe");
  if (input && pipe(in) < 0) die("pipe");

  memset(r, 0, sizeof *r);
  r->exceeded = -1;
  long long oom_before = cgroup_oom_kills();
  int64_t cpu_children_before = children_cpu_ms();
  int64_t cpu_cgroup_before = cgroup_cpu_ms();
  long long max_rss_kb = 0;

  /* The cgroup gives the CPU time of every process, polled below; RLIMIT_CPU is per process
     and whole seconds: a backstop a second late, or the only limit where there is no
     cgroup to read (gVisor). */
  int64_t cpu_secs = lim->cpu_ms > 0 ? (lim->cpu_ms + 999) / 1000 + (cpu_cgroup_before >= 0 ? 1 : 0) : 0;
  int64_t started = now_ms();
  pid_t child = spawn(argv, input ? in[0] : 0, out[1], err[1], cpu_secs);
  close(out[1]);
  close(err[1]);
  if (input) {
    close(in[0]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
  }

  struct pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {input ? in[1] : -1, POLLOUT, 0}};
  size_t input_sent = 0;
  if (input && input_len == 0) { close(in[1]); fds[2].fd = -1; }
  long long sent[2] = {0, 0};
  const char types[2] = {'o', 'e'};
  int open_fds = 2, exited = 0;
  int64_t ended = 0;
  char buf[CHUNK];

  while (open_fds > 0) {
    if (!exited) {
      /* Reap every child that ended: the program, and the orphans reparented to us. */
      struct rusage ru;
      int status;
      pid_t got;
      while (!exited && (got = wait4(-1, &status, WNOHANG, &ru)) > 0) {
        if (ru.ru_maxrss > max_rss_kb) max_rss_kb = ru.ru_maxrss;
        if (got != child) continue;
        r->status = status;
        exited = 1;
        ended = now_ms();
        /* Whatever the program left running dies with it; its pipes then reach EOF. */
        kill(-1, SIGKILL);
        if (fds[2].fd >= 0) { close(fds[2].fd); fds[2].fd = -1; }
      }
    }
    int wait_ms = lim->cpu_ms > 0 ? 20 : 100;
    if (!exited && !r->timed_out && !r->cpu_exceeded) {
      int64_t now = now_ms();
      if (lim->time_ms > 0 && now - started >= lim->time_ms) {
        r->timed_out = 1;
        kill(-1, SIGKILL);
      } else if (lim->cpu_ms > 0 && cpu_cgroup_before >= 0 && cgroup_cpu_ms() - cpu_cgroup_before >= lim->cpu_ms) {
        r->cpu_exceeded = 1;
        kill(-1, SIGKILL);
      } else if (lim->time_ms > 0 && started + lim->time_ms - now < wait_ms) {
        wait_ms = (int)(started + lim->time_ms - now) + 1;
      }
    }
    int n = poll(fds, 3, exited ? 1000 : wait_ms);
    if (n < 0) {
      if (errno != EINTR) die("poll");
      /* A child ended (SIGCHLD): reap it first. The revents are not to be trusted: gVisor
         leaves the last call's there, and a read on a pipe that is not readable would block
         until whatever holds its other end (an orphan) closes it. */
      continue;
    }
    if (n > 0 && fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = (fds[2].revents & POLLOUT) ? write(fds[2].fd, input + input_sent, input_len - input_sent) : -1;
      if (w > 0) input_sent += (size_t)w;
      if (w < 0 && errno != EAGAIN && errno != EINTR) input_sent = input_len; /* reader gone */
      if (input_sent >= input_len) { close(fds[2].fd); fds[2].fd = -1; }
    }
    for (int k = 0; k < 2; k++) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[k].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        close(fds[k].fd);
        fds[k].fd = -1;
        open_fds--;
        continue;
      }
      size_t keep = (size_t)got;
      if (lim->output_bytes > 0 && sent[k] + got > lim->output_bytes) {
        keep = (size_t)(lim->output_bytes - sent[k]);
        if (r->exceeded < 0) r->exceeded = k;
        kill(-1, SIGKILL);
      }
      if (keep) frame(types[k], buf, keep);
      sent[k] += (long long)keep;
    }
    if (exited && n == 0) break; /* a descendant we cannot kill holds a pipe: give up on it */
  }
  for (int k = 0; k < 3; k++) if (fds[k].fd >= 0) close(fds[k].fd);
  if (!exited) {
    struct rusage ru;
    while (wait4(child, &r->status, 0, &ru) < 0 && errno == EINTR) {
    }
    if (ru.ru_maxrss > max_rss_kb) max_rss_kb = ru.ru_maxrss;
    ended = now_ms();
  }
  kill_leftovers(&max_rss_kb);

  r->time_ms = ended - started;
  r->cpu_ms = children_cpu_ms() - cpu_children_before;
  r->memory_bytes = max_rss_kb * 1024;
  r->oom_killed = cgroup_oom_kills() > oom_before;
  if (lim->cpu_ms > 0 && r->cpu_ms > lim->cpu_ms) r->cpu_exceeded = 1;
  if (WIFSIGNALED(r->status) && (WTERMSIG(r->status) == SIGXCPU)) r->cpu_exceeded = 1;
}

static void send_report(const struct report *r) {
  char json[512];
  int len = snprintf(json, sizeof json,
                     "{\"exitCode\":%d,\"signal\":%d,\"timeMs\":%lld,\"cpuTimeMs\":%lld,"
                     "\"memoryBytes\":%lld,\"oomKilled\":%s,\"timedOut\":%s,\"cpuExceeded\":%s,\"outputExceeded\":%s}",
                     WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1,
                     WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0, (long long)r->time_ms,
                     (long long)r->cpu_ms, r->memory_bytes, r->oom_killed ? "true" : "false",
                     r->timed_out ? "true" : "false", r->cpu_exceeded ? "true" : "false",
                     r->exceeded == 0 ? "\"stdout\"" : r->exceeded == 1 ? "\"stderr\"" : "null");
  frame('r', json, (size_t)len);
}

int main(int argc, char **argv) {
  long long extract_bytes = 0;
  struct limits lim = {0, 0, 0};
  int do_collect = 0, tests = 0, i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { i++; break; }
    if (!strcmp(argv[i], "--extract") && i + 1 < argc) extract_bytes = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--time-ms") && i + 1 < argc) lim.time_ms = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--cpu-ms") && i + 1 < argc) lim.cpu_ms = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--output-bytes") && i + 1 < argc) lim.output_bytes = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--collect")) do_collect = 1;
    else if (!strcmp(argv[i], "--tests")) tests = 1;
    else if (!strcmp(argv[i], "--root")) keep_root = 1;
    else { dprintf(2, "runbox-run: unknown option %s\n", argv[i]); return 125; }
  }
  if (i >= argc) { dprintf(2, "usage: runbox-run [options] -- program [args]\n"); return 125; }

  /* Not dumpable: no ptrace, and /proc/<our pid>/fd (our stdout) is root's, not the program's. */
  prctl(PR_SET_DUMPABLE, 0);
  own_filter = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0;
  if (getuid() == 0 && !keep_root) {
    /* Started as root to drop everything else to the sandbox user (gVisor): empty the
       capability bounding set the children inherit (CAP_SETPCAP), so that the program's is
       as empty as under runc. Our own capabilities stay; we never execute anything. */
    for (int cap = 0; cap <= 63; cap++)
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
        dprintf(2, "runbox-run: cannot empty the capability bounding set: %s\n", strerror(errno));
        break;
      }
  }
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_child; /* SIGCHLD interrupts poll, so an exit is seen at once */
  sigaction(SIGCHLD, &sa, NULL);
  prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans come to us also when we are not PID 1 */

  char *archive = malloc(extract_bytes > 0 ? (size_t)extract_bytes : 1);
  if (!archive) die("malloc");
  if (extract_bytes > 0) {
    if (!read_exact(archive, (size_t)extract_bytes)) { dprintf(2, "runbox-run: no files on stdin\n"); return 125; }
    unpack(archive, (size_t)extract_bytes);
  }

  struct report r;
  if (!tests) {
    execute(argv + i, &lim, NULL, 0, &r);
    /* The sandbox's cgroup peak: what the memory limit counts (anonymous memory, tmpfs
       files, page cache it brought in), so it never exceeds the limit. Library pages another
       cgroup already cached are not charged here. Without a cgroup (gVisor): peak RSS. */
    long long peak = cgroup_peak_memory();
    if (peak > 0) r.memory_bytes = peak;
    if (do_collect && WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && !r.timed_out && !r.cpu_exceeded && r.exceeded < 0) collect();
    send_report(&r);
    return 0;
  }

  for (int n = 0;; n++) {
    unsigned char head[4];
    if (!read_exact(head, 4)) break;
    size_t len = ((size_t)head[0] << 24) | ((size_t)head[1] << 16) | ((size_t)head[2] << 8) | head[3];
    char *input = malloc(len ? len : 1);
    if (!input) die("malloc");
    if (len && !read_exact(input, len)) { dprintf(2, "runbox-run: stdin ended inside a test\n"); return 125; }
    if (n > 0 && extract_bytes > 0) restore(archive, (size_t)extract_bytes);
    execute(argv + i, &lim, input, len, &r);
    free(input);
    send_report(&r);
  }
  return 0;
}
