#define _GNU_SOURCE
#include "execute.h"
#include "channel.h"
#include "privileges.h"
#include "protocol.h"
#include "seccomp.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* How much of the client's stdin we hold for a program that is not reading it; past it we stop
   reading the channel and the worker waits. */
#define STDIN_HOLD_BYTES (1024 * 1024)
/* How often the CPU time of all processes is read while the program runs. */
#define CPU_POLL_MS 20
/* Once the program has exited, how long a descendant we could not kill may hold a pipe. */
#define DRAIN_MS 1000

/*
 * The sandbox's cgroup files, opened once at start, before any program runs: a program cannot
 * put a file of its own in their place later (under crun /sys/fs/cgroup is a writable tmpfs
 * around the read-only controllers), and each poll is one pread.
 */
struct cgroup_file {
  int fd;
  const char *key; /* NULL: the first number; else the number after `key ` */
  int scale_to_ms; /* divide by this for ms (CPU time) */
};
static struct cgroup_file cpu_file = {-1, NULL, 1}, peak_file = {-1, NULL, 1}, oom_file = {-1, NULL, 1};

static void open_first(struct cgroup_file *f, const char *root, const char *const candidates[][2], const int scales[]) {
  for (int i = 0; candidates[i][0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, candidates[i][0]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    f->fd = fd;
    f->key = candidates[i][1];
    f->scale_to_ms = scales ? scales[i] : 1;
    return;
  }
}

void execute_set_cgroup(const char *root) {
  static const char *const cpu[][2] = {{"cpuacct/cpuacct.usage", NULL}, {"cpu,cpuacct/cpuacct.usage", NULL}, {"cpu.stat", "usage_usec"}, {NULL, NULL}};
  static const int cpu_scales[] = {1000000, 1000000, 1000};
  static const char *const peak[][2] = {{"memory/memory.max_usage_in_bytes", NULL}, {"memory.peak", NULL}, {NULL, NULL}};
  static const char *const oom[][2] = {{"memory/memory.oom_control", "oom_kill"}, {"memory.events", "oom_kill"}, {NULL, NULL}};
  open_first(&cpu_file, root, cpu, cpu_scales);
  open_first(&peak_file, root, peak, NULL);
  open_first(&oom_file, root, oom, NULL);
}

/* The file's number (scaled); -1 when there is no such file. */
static long long cgroup_read(const struct cgroup_file *f) {
  if (f->fd < 0) return -1;
  char buf[4096];
  ssize_t n = pread(f->fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  buf[n] = 0;
  const char *p = buf;
  if (f->key) {
    size_t k = strlen(f->key);
    while (p && !(strncmp(p, f->key, k) == 0 && p[k] == ' ')) {
      p = strchr(p, '\n');
      if (p) p++;
    }
    if (!p) return -1;
    p += k + 1;
  }
  return atoll(p) / f->scale_to_ms;
}

static long long cgroup_peak_memory(void) { return cgroup_read(&peak_file); }

static long long cgroup_oom_kills(void) {
  long long v = cgroup_read(&oom_file);
  return v < 0 ? 0 : v;
}

/* CPU time of every process of the sandbox, ms, from its cgroup; -1 when there is none to read (gVisor). */
static int64_t cgroup_cpu_ms(void) { return cgroup_read(&cpu_file); }

static int64_t children_cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* ---- the processes of the sandbox, from /proc ---- */

struct proc { pid_t pid, ppid; char state; long long ticks; };

/* Every process but us: pid, parent, state, CPU ticks (with what each reaped). Returns how many
   (at most `max`). */
static size_t scan_processes(struct proc *out, size_t max) {
  DIR *d = opendir("/proc");
  if (!d) return 0;
  size_t count = 0;
  struct dirent *e;
  pid_t self = getpid();
  while (count < max && (e = readdir(d))) {
    pid_t pid = (pid_t)atoi(e->d_name);
    if (pid <= 0 || pid == self) continue;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) continue;
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    char state;
    int ppid;
    unsigned long long utime, stime, cutime, cstime;
    if (p && sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &state, &ppid, &utime, &stime, &cutime, &cstime) == 6)
      out[count++] = (struct proc){pid, (pid_t)ppid, state, (long long)(utime + stime + cutime + cstime)};
  }
  closedir(d);
  return count;
}

/* Whether the process at `i` descends from us: its parents lead to us, not to the engine (ppid 0
   in our namespace, as a session's terminal started with docker exec). Orphans of what we started
   come to us (we are init and a subreaper), so nothing of an execution escapes this. */
static int descends_from_us(const struct proc *procs, size_t count, size_t i) {
  pid_t self = getpid();
  for (size_t depth = 0; depth <= count; depth++) {
    pid_t parent = procs[i].ppid;
    if (parent == self) return 1;
    size_t j = 0;
    while (j < count && procs[j].pid != parent) j++;
    if (j == count) return 0;
    i = j;
  }
  return 0;
}

#define MAX_PROCS 16384
static struct proc procs[MAX_PROCS];

/* Without a cgroup: the CPU time of every live process but us (with what each reaped), or of our
   descendants alone (a shared sandbox). */
static int64_t live_cpu_ms(int ours_only) {
  static long ticks;
  if (!ticks) ticks = sysconf(_SC_CLK_TCK);
  size_t count = scan_processes(procs, MAX_PROCS);
  long long total = 0;
  for (size_t i = 0; i < count; i++)
    if (!ours_only || descends_from_us(procs, count, i)) total += procs[i].ticks;
  return (int64_t)(total * 1000 / ticks);
}

/* SIGKILL to every live process that descends from us, again until none is left (one forked
   between a scan and its kill is found by the next scan). */
static void kill_descendants(void) {
  for (int round = 0; round < 1000; round++) {
    size_t count = scan_processes(procs, MAX_PROCS), killed = 0;
    for (size_t i = 0; i < count; i++)
      if (procs[i].state != 'Z' && procs[i].state != 'X' && descends_from_us(procs, count, i) && kill(procs[i].pid, SIGKILL) == 0) killed++;
    if (killed == 0) return;
  }
}

/* Stops every process of the execution: in a sandbox of its own, everything but us. */
static void kill_execution(const struct exec_spec *spec) {
  if (spec->shared) kill_descendants();
  else kill(-1, SIGKILL);
}

/* ---- the spec ---- */

/* The strings of the last spec parsed; each parse frees the one before. */
static char **owned;
static size_t owned_count;

static void free_spec(void) {
  for (size_t i = 0; i < owned_count; i++) free(owned[i]);
  free(owned);
  owned = NULL;
  owned_count = 0;
}

const char *exec_parse(const unsigned char *payload, size_t len, struct exec_spec *spec) {
  free_spec();
  memset(spec, 0, sizeof *spec);
  size_t fields = 0, args = 0, envs = 0;
  for (size_t at = 0; at < len;) {
    if (len - at < 5) return "a truncated field";
    size_t n = get_u32(payload + at + 1);
    if (n > len - at - 5) return "a field longer than the spec";
    if (payload[at] == FIELD_ARG) args++;
    if (payload[at] == FIELD_ENV) envs++;
    fields++;
    at += 5 + n;
  }
  owned = calloc(fields + args + envs + 2, sizeof *owned);
  if (!owned) return "no memory for the spec";
  /* owned[0 .. fields) are the strings; the two lists follow, each NULL-terminated. */
  spec->argv = owned + fields;
  spec->env = owned + fields + args + 1;
  size_t a = 0, v = 0;
  for (size_t at = 0; at < len;) {
    unsigned char tag = payload[at];
    size_t n = get_u32(payload + at + 1);
    const unsigned char *value = payload + at + 5;
    at += 5 + n;
    if (tag == FIELD_TIME_MS || tag == FIELD_CPU_MS || tag == FIELD_OUTPUT_BYTES) {
      if (n != 8) return "a number field that is not 8 bytes";
      uint64_t number = get_u64(value);
      if (number > (uint64_t)INT64_MAX) return "a number out of range";
      if (tag == FIELD_TIME_MS) spec->time_ms = (int64_t)number;
      else if (tag == FIELD_CPU_MS) spec->cpu_ms = (int64_t)number;
      else spec->output_bytes = (long long)number;
      continue;
    }
    if (tag == FIELD_CGROUP_PEAK) {
      spec->cgroup_peak = 1;
      continue;
    }
    if (tag == FIELD_SHARED) {
      spec->shared = 1;
      continue;
    }
    if (memchr(value, 0, n)) return "a string field with a NUL";
    char *text = strndup((const char *)value, n);
    if (!text) return "no memory for the spec";
    owned[owned_count++] = text;
    if (tag == FIELD_ARG) spec->argv[a++] = text;
    else if (tag == FIELD_ENV) {
      if (!strchr(text, '=') || text[0] == '=') return "an env field that is not NAME=value";
      spec->env[v++] = text;
    } else if (tag == FIELD_CWD) spec->cwd = text;
    else return "an unknown field";
  }
  return a == 0 ? "no program to run" : NULL;
}

/* ---- starting the program ---- */

char **program_environment(char **over) {
  extern char **environ;
  size_t own = 0, extra = 0;
  while (environ[own]) own++;
  while (over[extra]) extra++;
  char **env = calloc(own + extra + 1, sizeof *env);
  if (!env) return environ;
  size_t n = 0;
  for (size_t i = 0; i < own; i++) {
    size_t name = strcspn(environ[i], "=");
    int replaced = 0;
    for (size_t j = 0; j < extra && !replaced; j++) replaced = strncmp(over[j], environ[i], name + 1) == 0;
    if (!replaced) env[n++] = environ[i];
  }
  for (size_t j = 0; j < extra; j++) env[n++] = over[j];
  env[n] = NULL;
  return env;
}

/*
 * The child: its pipes as 0, 1, 2 and nothing else open, the program's user and our seccomp
 * filter, then exec. The program is found through our PATH (the container's), never one it
 * chose; its environment is ours with the spec's over it.
 */
static void start_program(const struct exec_spec *spec, int work_fd, int in_fd, int out_fd, int err_fd, int64_t cpu_secs) {
  setsid();
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
  for (int fd = 3; fd < 1024; fd++) if (fd != work_fd) close(fd);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  signal(SIGXFSZ, SIG_DFL);
  if (fchdir(work_fd) < 0 || (spec->cwd && chdir(spec->cwd) < 0)) {
    dprintf(2, "runbox-run: cannot enter the working folder %s: %s\n", spec->cwd ? spec->cwd : ".", strerror(errno));
    _exit(126);
  }
  close(work_fd);
  if (cpu_secs > 0) {
    struct rlimit rl = {(rlim_t)cpu_secs, (rlim_t)cpu_secs + 1};
    setrlimit(RLIMIT_CPU, &rl);
  }
  /* A fresh IPC namespace for every execution where we may make one (gVisor: the supervisor
     holds CAP_SYS_ADMIN of gVisor's kernel, never given to the program); elsewhere runbox-run
     removes what the last program left between tests (workdir.c). */
  unshare(CLONE_NEWIPC);
  become_program_user();
  if (install_filter() < 0) {
    dprintf(2, "runbox-run: cannot install the seccomp filter: %s\n", strerror(errno));
    _exit(126);
  }
  execvpe(spec->argv[0], spec->argv, program_environment(spec->env));
  dprintf(2, "runbox-run: cannot execute %s: %s\n", spec->argv[0], strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}

/* Kills every process of the execution, and reaps until none is left. */
static void kill_leftovers(const struct exec_spec *spec, long long *max_rss_kb) {
  kill_execution(spec);
  for (;;) {
    struct rusage ru;
    pid_t pid = wait4(-1, NULL, 0, &ru);
    if (pid > 0) {
      if (ru.ru_maxrss > *max_rss_kb) *max_rss_kb = ru.ru_maxrss;
      continue;
    }
    if (errno != EINTR) break;
  }
}

/* ---- supervising it ---- */

struct stdin_state {
  int fd;             /* the program's stdin pipe, -1 once closed */
  int ended;          /* FRAME_STDIN_END read */
  unsigned char *buf; /* what the channel brought and the program has not read yet */
  size_t start, end, cap;
};

static void stdin_hold(struct stdin_state *s, const unsigned char *data, size_t len) {
  if (s->fd < 0) return; /* the program is gone or closed its stdin: dropped */
  if (s->cap - s->end < len) {
    memmove(s->buf, s->buf + s->start, s->end - s->start);
    s->end -= s->start;
    s->start = 0;
    if (s->cap - s->end < len) {
      size_t cap = s->cap ? s->cap : 65536;
      while (cap - s->end < len) cap *= 2;
      unsigned char *grown = realloc(s->buf, cap);
      if (!grown) die("cannot hold stdin");
      s->buf = grown;
      s->cap = cap;
    }
  }
  memcpy(s->buf + s->end, data, len);
  s->end += len;
}

static void stdin_close(struct stdin_state *s) {
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  s->start = s->end = 0;
}

/* Takes the channel's frames for the program's stdin; anything else is a broken worker. */
static void stdin_from_channel(struct stdin_state *s) {
  struct frame f;
  while (!s->ended && channel_take(&f)) {
    if (f.type == FRAME_STDIN) stdin_hold(s, f.payload, f.len);
    else if (f.type == FRAME_STDIN_END) s->ended = 1;
    else {
      channel_send_error("frame '%c' while a program runs", f.type);
      kill(-1, SIGKILL);
      exit(125);
    }
  }
  if (s->ended && s->end == s->start && s->fd >= 0) stdin_close(s);
}

int execute(const struct exec_spec *spec, int work_fd, struct report *r) {
  int out[2], err[2], in[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0) die("pipe");
  memset(r, 0, sizeof *r);
  r->exceeded = -1;
  long long oom_before = cgroup_oom_kills();
  int64_t cpu_children_before = children_cpu_ms();
  /* A shared sandbox's cgroup counts the terminal's processes too: measured from /proc instead. */
  int64_t cpu_cgroup_before = spec->shared ? -1 : cgroup_cpu_ms();
  long long max_rss_kb = 0;
  /* The cgroup (or /proc) gives the CPU time of every process, polled below; RLIMIT_CPU is per
     process and in whole seconds: a backstop a second late. */
  int64_t cpu_secs = spec->cpu_ms > 0 ? (spec->cpu_ms + 999) / 1000 + 1 : 0;

  work_as_program(0);
  int64_t started = now_ms();
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) start_program(spec, work_fd, in[0], out[1], err[1], cpu_secs);
  close(out[1]);
  close(err[1]);
  close(in[0]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

  struct stdin_state in_state = {in[1], 0, NULL, 0, 0, 0};
  int outputs[2] = {out[0], err[0]};
  long long sent[2] = {0, 0};
  const char types[2] = {FRAME_STDOUT, FRAME_STDERR};
  static unsigned char buf[CHUNK_BYTES];
  int exited = 0;
  int64_t ended = 0;
  sigset_t wait_mask;
  sigprocmask(SIG_SETMASK, NULL, &wait_mask);
  sigdelset(&wait_mask, SIGCHLD);
  stdin_from_channel(&in_state); /* frames that came with the spec */

  for (;;) {
    /* Reap every child that ended: the program, and the orphans that come to us. */
    struct rusage ru;
    int status;
    pid_t got;
    while ((got = wait4(-1, &status, WNOHANG, &ru)) > 0) {
      if (ru.ru_maxrss > max_rss_kb) max_rss_kb = ru.ru_maxrss;
      if (got == child && !exited) {
        r->status = status;
        exited = 1;
        ended = now_ms();
        /* Whatever the program left running dies with it; its pipes then reach their end. */
        kill_execution(spec);
        stdin_close(&in_state);
      }
    }
    int64_t now = now_ms();
    if (exited && ((outputs[0] < 0 && outputs[1] < 0) || now - ended > DRAIN_MS)) break;
    /* Every limit holds whether or not the program still has its pipes open. */
    int64_t timeout = -1;
    if (!exited && !r->timed_out && !r->cpu_exceeded) {
      if (spec->time_ms > 0 && now - started >= spec->time_ms) {
        r->timed_out = 1;
        kill_execution(spec);
      } else if (spec->cpu_ms > 0 && (cpu_cgroup_before >= 0 ? cgroup_cpu_ms() - cpu_cgroup_before
                                                               : children_cpu_ms() - cpu_children_before + live_cpu_ms(spec->shared)) >= spec->cpu_ms) {
        r->cpu_exceeded = 1;
        kill_execution(spec);
      } else {
        if (spec->time_ms > 0) timeout = started + spec->time_ms - now;
        if (spec->cpu_ms > 0 && (timeout < 0 || timeout > CPU_POLL_MS)) timeout = CPU_POLL_MS;
      }
    }
    if (exited) timeout = ended + DRAIN_MS - now;
    if (timeout < 0 && (r->timed_out || r->cpu_exceeded)) timeout = 100; /* killed: waiting for the exit */

    struct pollfd fds[4];
    int nfds = 0;
    int at_out = -1, at_err = -1, at_in = -1, at_channel = -1;
    if (outputs[0] >= 0) { at_out = nfds; fds[nfds++] = (struct pollfd){outputs[0], POLLIN, 0}; }
    if (outputs[1] >= 0) { at_err = nfds; fds[nfds++] = (struct pollfd){outputs[1], POLLIN, 0}; }
    if (in_state.fd >= 0 && in_state.end > in_state.start) { at_in = nfds; fds[nfds++] = (struct pollfd){in_state.fd, POLLOUT, 0}; }
    if (!in_state.ended && in_state.end - in_state.start < STDIN_HOLD_BYTES) { at_channel = nfds; fds[nfds++] = (struct pollfd){0, POLLIN, 0}; }
    struct timespec ts = {timeout / 1000, (timeout % 1000) * 1000000};
    int n = ppoll(fds, (nfds_t)nfds, timeout < 0 ? NULL : &ts, &wait_mask);
    if (n < 0) {
      if (errno == EINTR) continue; /* a child ended (SIGCHLD): reap it first */
      die("poll");
    }
    if (n == 0) continue;
    if (at_channel >= 0 && (fds[at_channel].revents & (POLLIN | POLLHUP | POLLERR))) {
      int got_input = channel_fill();
      if (got_input == 0) {
        /* The worker is gone: nothing will read a report. */
        kill(-1, SIGKILL);
        exit(0);
      }
      stdin_from_channel(&in_state);
    }
    if (at_in >= 0 && (fds[at_in].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in_state.fd, in_state.buf + in_state.start, in_state.end - in_state.start);
      if (w > 0) in_state.start += (size_t)w;
      else if (w < 0 && errno != EAGAIN && errno != EINTR) stdin_close(&in_state); /* the reader is gone */
      if (in_state.ended && in_state.end == in_state.start) stdin_close(&in_state);
    }
    for (int k = 0; k < 2; k++) {
      int at = k == 0 ? at_out : at_err;
      if (at < 0 || !(fds[at].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got_bytes = read(outputs[k], buf, sizeof buf);
      if (got_bytes < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got_bytes <= 0) {
        close(outputs[k]);
        outputs[k] = -1;
        continue;
      }
      size_t keep = (size_t)got_bytes;
      if (spec->output_bytes > 0 && sent[k] + got_bytes > spec->output_bytes) {
        keep = (size_t)(spec->output_bytes - sent[k]);
        if (r->exceeded < 0) r->exceeded = k;
        kill_execution(spec);
      }
      if (keep) channel_send(types[k], buf, keep);
      sent[k] += (long long)keep;
    }
  }
  for (int k = 0; k < 2; k++) if (outputs[k] >= 0) close(outputs[k]);
  stdin_close(&in_state);
  free(in_state.buf);
  kill_leftovers(spec, &max_rss_kb);
  work_as_program(1);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);

  r->time_ms = ended - started;
  r->cpu_ms = children_cpu_ms() - cpu_children_before;
  r->oom_killed = cgroup_oom_kills() > oom_before;
  if (spec->cpu_ms > 0 && r->cpu_ms > spec->cpu_ms) r->cpu_exceeded = 1;
  if (WIFSIGNALED(r->status) && WTERMSIG(r->status) == SIGXCPU) r->cpu_exceeded = 1;
  /* A run's one execution is measured by the sandbox's cgroup peak: what the memory limit
     counts (anonymous memory, tmpfs files, page cache it brought in). Others (tests, a
     session's commands) by the peak resident set of their own processes, since the cgroup's
     peak is the sandbox's since it started. Without a cgroup (gVisor): the resident set. */
  long long peak = spec->cgroup_peak ? cgroup_peak_memory() : -1;
  r->memory_bytes = peak > 0 ? peak : max_rss_kb * 1024;
  return in_state.ended;
}

void send_report(const struct report *r) {
  char json[512];
  int len = snprintf(json, sizeof json,
                     "{\"exitCode\":%d,\"signal\":%d,\"timeMs\":%lld,\"cpuTimeMs\":%lld,"
                     "\"memoryBytes\":%lld,\"oomKilled\":%s,\"timedOut\":%s,\"cpuExceeded\":%s,\"outputExceeded\":%s}",
                     WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1, WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0,
                     (long long)r->time_ms, (long long)r->cpu_ms, r->memory_bytes, r->oom_killed ? "true" : "false",
                     r->timed_out ? "true" : "false", r->cpu_exceeded ? "true" : "false",
                     r->exceeded == 0 ? "\"stdout\"" : r->exceeded == 1 ? "\"stderr\"" : "null");
  channel_send(FRAME_REPORT, json, (size_t)len);
}
