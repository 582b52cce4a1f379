/*
 * runbox-run: the supervisor inside every runbox sandbox (PID 2, under docker-init).
 *
 * It unpacks the run's files from stdin, runs the program with its own pipes, frames the
 * program's stdout and stderr onto its own stdout, enforces the wall, CPU and output
 * limits, kills every process the program left behind, and reports the exit status and
 * the resources used, read from the container's cgroup. Framing is what lets the worker
 * tell program output from the supervisor's report without trusting the program.
 *
 * Frame: 1 type byte, 4-byte big-endian length, payload.
 *   'o' program stdout   'e' program stderr   'a' tar of the work folder (--collect)
 *   'r' result, JSON: {"exitCode","signal","timeMs","cpuTimeMs","memoryBytes",
 *                      "oomKilled","timedOut","outputExceeded"}
 *
 * It runs as the same unprivileged user as the program, so it is not a security boundary:
 * the worker enforces every limit again from outside (container kill, cgroup, byte count).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

static pid_t spawn(char *const argv[], int in_fd, int out_fd, int err_fd, int64_t cpu_ms) {
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (in_fd >= 0 && dup2(in_fd, 0) < 0) _exit(126);
    if (out_fd >= 0 && dup2(out_fd, 1) < 0) _exit(126);
    if (err_fd >= 0 && dup2(err_fd, 2) < 0) _exit(126);
    for (int fd = 3; fd < 1024; fd++) close(fd);
    signal(SIGPIPE, SIG_DFL);
    if (cpu_ms > 0) {
      /* The soft limit sends SIGXCPU, the hard one a second later SIGKILL. */
      rlim_t secs = (rlim_t)((cpu_ms + 999) / 1000);
      struct rlimit rl = {secs, secs + 1};
      setrlimit(RLIMIT_CPU, &rl);
    }
    execvp(argv[0], argv);
    dprintf(2, "runbox-run: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  return pid;
}

/* Reads one number from a cgroup file; -1 when the file is not there. */
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

static long long peak_memory_bytes(void) {
  long long v = read_number("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", NULL); /* v1 */
  if (v < 0) v = read_number("/sys/fs/cgroup/memory.peak", NULL);                      /* v2 */
  return v;
}

static long long oom_kills(void) {
  long long v = read_number("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill");
  if (v < 0) v = read_number("/sys/fs/cgroup/memory.events", "oom_kill");
  return v < 0 ? 0 : v;
}

static int64_t children_cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* Kills every process this user owns but us and init, then reaps what we inherited. */
static void kill_leftovers(void) {
  kill(-1, SIGKILL);
  while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
  }
}

/* Copies exactly `bytes` from stdin into `tar -x` in the work folder. */
static void extract(long long bytes) {
  int p[2];
  if (pipe(p) < 0) die("pipe");
  char *argv[] = {"tar", "-x", "-m", "--no-same-owner", "-f", "-", NULL};
  pid_t tar = spawn(argv, p[0], -1, -1, 0);
  close(p[0]);
  char buf[65536];
  while (bytes > 0) {
    ssize_t n = read(0, buf, bytes < (long long)sizeof buf ? (size_t)bytes : sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { dprintf(2, "runbox-run: stdin ended inside the file archive\n"); exit(125); }
    write_all(p[1], buf, (size_t)n);
    bytes -= n;
  }
  close(p[1]);
  int status;
  if (waitpid(tar, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    dprintf(2, "runbox-run: unpacking the files failed\n");
    exit(125);
  }
}

static void collect(void) {
  int p[2];
  if (pipe(p) < 0) die("pipe");
  char *argv[] = {"tar", "-c", "-f", "-", ".", NULL};
  pid_t tar = spawn(argv, -1, p[1], -1, 0);
  close(p[1]);
  char buf[65536];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) != 0) {
    if (n < 0) { if (errno == EINTR) continue; die("read"); }
    frame('a', buf, (size_t)n);
  }
  close(p[0]);
  waitpid(tar, NULL, 0);
}

static volatile sig_atomic_t got_child = 0;
static void on_child(int sig) { (void)sig; got_child = 1; }

int main(int argc, char **argv) {
  long long extract_bytes = 0, output_bytes = 0;
  int64_t time_ms = 0, cpu_ms = 0;
  int do_collect = 0, i = 1;
  for (; i < argc; i++) {
    if (!strcmp(argv[i], "--")) { i++; break; }
    if (!strcmp(argv[i], "--extract") && i + 1 < argc) extract_bytes = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--time-ms") && i + 1 < argc) time_ms = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--cpu-ms") && i + 1 < argc) cpu_ms = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--output-bytes") && i + 1 < argc) output_bytes = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--collect")) do_collect = 1;
    else { dprintf(2, "runbox-run: unknown option %s\n", argv[i]); return 125; }
  }
  if (i >= argc) { dprintf(2, "usage: runbox-run [options] -- program [args]\n"); return 125; }

  signal(SIGPIPE, SIG_IGN);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (extract_bytes > 0) extract(extract_bytes);
  int64_t setup_cpu = children_cpu_ms();

  int out[2], err[2];
  if (pipe(out) < 0 || pipe(err) < 0) die("pipe");
  struct sigaction sa = {0};
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, NULL);

  int64_t started = now_ms();
  pid_t child = spawn(argv + i, 0, out[1], err[1], cpu_ms);
  close(out[1]);
  close(err[1]);
  close(0); /* the program owns stdin now; its EOF is the client's */

  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  long long sent[2] = {0, 0};
  const char types[2] = {'o', 'e'};
  int open_fds = 2, status = 0, exited = 0, timed_out = 0, exceeded = -1;
  int64_t ended = 0;
  char buf[65536];

  while (open_fds > 0) {
    if (!exited) {
      pid_t r = waitpid(child, &status, WNOHANG);
      if (r == child) {
        exited = 1;
        ended = now_ms();
        /* Whatever the program left running dies with it; its pipes then reach EOF. */
        kill(-1, SIGKILL);
      }
    }
    int wait_ms = 100;
    if (!exited && time_ms > 0) {
      int64_t left = started + time_ms - now_ms();
      if (left <= 0) {
        timed_out = 1;
        kill(-1, SIGKILL);
        left = 100;
      }
      if (left < wait_ms) wait_ms = (int)left;
    }
    int n = poll(fds, 2, exited ? 1000 : wait_ms);
    if (n < 0 && errno != EINTR) die("poll");
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
      if (output_bytes > 0 && sent[k] + got > output_bytes) {
        keep = (size_t)(output_bytes - sent[k]);
        if (exceeded < 0) exceeded = k;
        kill(-1, SIGKILL);
      }
      if (keep) frame(types[k], buf, keep);
      sent[k] += (long long)keep;
    }
    if (exited && n == 0) break; /* a descendant we cannot kill holds a pipe: give up on it */
  }
  if (!exited) {
    waitpid(child, &status, 0);
    ended = now_ms();
  }
  kill_leftovers();

  if (do_collect && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !timed_out && exceeded < 0) collect();

  char result[512];
  int len = snprintf(result, sizeof result,
                     "{\"exitCode\":%s%d,\"signal\":%d,\"timeMs\":%lld,\"cpuTimeMs\":%lld,"
                     "\"memoryBytes\":%lld,\"oomKilled\":%s,\"timedOut\":%s,\"outputExceeded\":%s}",
                     "", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0, (long long)(ended - started),
                     (long long)(children_cpu_ms() - setup_cpu), peak_memory_bytes(),
                     oom_kills() > 0 ? "true" : "false", timed_out ? "true" : "false",
                     exceeded == 0 ? "\"stdout\"" : exceeded == 1 ? "\"stderr\"" : "null");
  frame('r', result, (size_t)len);
  return 0;
}
