/*
 * runbox-run --shell: what a session's terminal starts as. The engine runs it with a TTY in the
 * session's container (docker exec), with the container's fixed environment and user, beside the
 * supervisor and not under it. Before it becomes the shell it takes what every program of the
 * sandbox gets from the supervisor: the program's uid with an empty capability bounding set
 * (under gVisor it is started as root, as the supervisor is, and drops), no_new_privs and
 * runbox's seccomp filter. The shell's environment is the fixed one with the session's
 * NAME=value pairs (given as arguments) over it; nothing of the request reaches this code's own
 * environment.
 */
#define _GNU_SOURCE
#include "shell.h"
#include "execute.h"
#include "privileges.h"
#include "seccomp.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int shell_main(int argc, char **argv) {
  int root = 0, supervisor_uid = 0, envs = 0, i = 0;
  char **env = calloc((size_t)argc + 1, sizeof *env);
  if (!env) _exit(125);
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    if (!strcmp(argv[i], "--root")) root = 1;
    else if (!strcmp(argv[i], "--supervisor-uid") && i + 1 < argc) supervisor_uid = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--env") && i + 1 < argc && strchr(argv[i + 1], '=') && argv[i + 1][0] != '=') env[envs++] = argv[++i];
    else { dprintf(2, "runbox-run --shell: unknown option %s\n", argv[i]); _exit(125); }
  }
  if (i + 1 >= argc) { dprintf(2, "usage: runbox-run --shell [--env NAME=value]... -- PROGRAM [ARG]...\n"); _exit(125); }
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
  execvpe(program[0], program, program_environment(env));
  dprintf(2, "runbox-run: cannot execute %s: %s\n", program[0], strerror(errno));
  _exit(errno == ENOENT ? 127 : 126);
}
