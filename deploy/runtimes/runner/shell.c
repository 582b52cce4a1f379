/*
 * runbox-run --shell: what a session's terminal starts as. The engine runs it with a TTY in the
 * session's container (docker exec), with the container's fixed environment and user, beside the
 * supervisor and not under it. Before the shell starts it takes what every program of the sandbox
 * gets from the supervisor: the program's uid with an empty capability bounding set (under gVisor
 * it is started as root, as the supervisor is, and drops), no_new_privs and runbox's seccomp
 * filter. The shell's environment is the fixed one with the session's NAME=value pairs (given as
 * arguments) over it; nothing of the request reaches this code's own environment.
 *
 * It stays as the shell's parent, the session leader of the terminal: the engine cannot end an
 * exec, so when the client goes the worker starts `runbox-run --hangup ID`, which finds this
 * process by its --id and sends it SIGHUP; it passes the hangup to the shell (which passes it to
 * its jobs), and kills it if it is still there a moment later.
 */
#define _GNU_SOURCE
#include "shell.h"
#include "execute.h"
#include "privileges.h"
#include "seccomp.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a shell that was hung up may take to go before it is killed. */
#define HANGUP_GRACE_S 2

static volatile sig_atomic_t hung_up, grace_over;
static void on_hangup(int sig) { (void)sig; hung_up = 1; }
static void on_alarm(int sig) { (void)sig; grace_over = 1; }

static int id_ok(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > 80) return 0;
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-')) return 0;
  return 1;
}

int shell_main(int argc, char **argv) {
  int root = 0, supervisor_uid = 0, envs = 0, i = 0;
  const char *id = NULL;
  char **env = calloc((size_t)argc + 1, sizeof *env);
  if (!env) _exit(125);
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    if (!strcmp(argv[i], "--root")) root = 1;
    else if (!strcmp(argv[i], "--supervisor-uid") && i + 1 < argc) supervisor_uid = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--id") && i + 1 < argc && id_ok(argv[i + 1])) id = argv[++i];
    else if (!strcmp(argv[i], "--env") && i + 1 < argc && strchr(argv[i + 1], '=') && argv[i + 1][0] != '=') env[envs++] = argv[++i];
    else { dprintf(2, "runbox-run --shell: unknown option %s\n", argv[i]); _exit(125); }
  }
  if (!id || i + 1 >= argc) { dprintf(2, "usage: runbox-run --shell --id ID [--env NAME=value]... -- PROGRAM [ARG]...\n"); _exit(125); }
  char **program = argv + i + 1;

  privileges_init(root, supervisor_uid);
  become_program_user();
  if (install_filter() < 0) {
    dprintf(2, "runbox-run: cannot install the seccomp filter: %s\n", strerror(errno));
    _exit(126);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL); /* whatever the engine started it with */

  pid_t child = fork();
  if (child < 0) { dprintf(2, "runbox-run: cannot fork the shell: %s\n", strerror(errno)); _exit(126); }
  if (child == 0) {
    execvpe(program[0], program, program_environment(env));
    dprintf(2, "runbox-run: cannot execute %s: %s\n", program[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  /* The terminal's signals are the shell's (it takes the foreground); a hangup is ours to pass on. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  struct sigaction sa = {0};
  sa.sa_handler = on_hangup;
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  int status = 0, passed = 0;
  for (;;) {
    pid_t got = waitpid(child, &status, 0);
    if (got == child) break;
    if (got < 0 && errno != EINTR) _exit(125);
    if (hung_up && !passed) {
      passed = 1;
      kill(child, SIGHUP);
      kill(child, SIGCONT);
      alarm(HANGUP_GRACE_S);
    }
    if (grace_over) kill(child, SIGKILL); /* still there after the hangup */
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Whether /proc/<pid>/cmdline is runbox-run --shell ... --id ID. */
static int is_terminal(pid_t pid, const char *id) {
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  const char *arg = buf, *end = buf + n;
  const char *name = strrchr(arg, '/');
  if (strcmp(name ? name + 1 : arg, "runbox-run")) return 0;
  arg += strlen(arg) + 1;
  if (arg >= end || strcmp(arg, "--shell")) return 0;
  for (; arg < end && strcmp(arg, "--"); arg += strlen(arg) + 1) {
    const char *next = arg + strlen(arg) + 1;
    if (!strcmp(arg, "--id") && next < end && !strcmp(next, id)) return 1;
  }
  return 0;
}

int hangup_main(int argc, char **argv) {
  if (argc != 1 || !id_ok(argv[0])) { dprintf(2, "usage: runbox-run --hangup ID\n"); _exit(125); }
  /* As the program's user: it can signal the terminals, which run as it, and nothing else. */
  privileges_init(0, 0);
  become_program_user();
  DIR *d = opendir("/proc");
  if (!d) _exit(125);
  int found = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    pid_t pid = (pid_t)atoi(e->d_name);
    if (pid > 0 && pid != getpid() && is_terminal(pid, argv[0]) && kill(pid, SIGHUP) == 0) found = 1;
  }
  closedir(d);
  _exit(found ? 0 : 1);
}
