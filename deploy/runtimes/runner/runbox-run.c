/*
 * runbox-run: the supervisor inside every runbox sandbox, and its init (PID 1).
 *
 * It is started before any run exists (a warm pool keeps such sandboxes waiting), takes a key
 * as its first frame on stdin, and then serves the worker's commands (protocol.h): files into
 * the work folder, one execution at a time with its limits and environment, a snapshot of the
 * work folder and its restore between tests, the work folder back (compile steps). It frames
 * the program's stdout and stderr onto its own stdout, enforces the wall, CPU and output
 * limits, kills every process the program left behind, and reports how it ended.
 *
 * Every frame both ways carries a tag made with the key, so a program that reaches the
 * supervisor's stdin or stdout (gVisor lets root do that) can only break the conversation,
 * which the worker then reports, never forge it. Nothing but the program is ever executed:
 * files, the snapshot and the IPC cleanup are this process's own code, run with the program's
 * file-system uid, and the program is found through this process's PATH.
 *
 * Under runc it runs as the same unprivileged user as the program, so the worker enforces every
 * limit again from outside (container kill, cgroup, byte count). How each start is shielded from
 * the program: privileges.c.
 *
 *   runbox-run --work DIR [--wipe DIR]... [--cgroup DIR] [--root [--supervisor-uid N]]
 *   runbox-run --shell [--root [--supervisor-uid N]] --id ID [--env NAME=value]... -- PROGRAM [ARG]...  (shell.c)
 *   runbox-run --hangup ID
 */
#define _GNU_SOURCE
#include "channel.h"
#include "execute.h"
#include "privileges.h"
#include "protocol.h"
#include "shell.h"
#include "util.h"
#include "workdir.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void on_child(int sig) { (void)sig; }

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--shell")) shell_main(argc - 2, argv + 2);
  if (argc > 1 && !strcmp(argv[1], "--hangup")) hangup_main(argc - 2, argv + 2);
  const char *work = NULL, *cgroup = "/sys/fs/cgroup";
  const char *wipe[8];
  int wipes = 0, root = 0, supervisor_uid = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--work") && i + 1 < argc) work = argv[++i];
    else if (!strcmp(argv[i], "--wipe") && i + 1 < argc && wipes < 8) wipe[wipes++] = argv[++i];
    else if (!strcmp(argv[i], "--cgroup") && i + 1 < argc) cgroup = argv[++i];
    else if (!strcmp(argv[i], "--root")) root = 1;
    else if (!strcmp(argv[i], "--supervisor-uid") && i + 1 < argc) supervisor_uid = atoi(argv[++i]);
    else { dprintf(2, "runbox-run: unknown option %s\n", argv[i]); return 125; }
  }
  if (!work) { dprintf(2, "usage: runbox-run --work DIR [--wipe DIR]... [--cgroup DIR] [--root [--supervisor-uid N]]\n"); return 125; }

  /* Not dumpable: no ptrace, and /proc/<our pid> (our key, our stdin and stdout) is root's. */
  prctl(PR_SET_DUMPABLE, 0);
  execute_set_cgroup(cgroup); /* before anything of the program's could stand in for its files */
  privileges_init(root, supervisor_uid);
  signal(SIGPIPE, SIG_IGN);
  /* A file past the fsize ulimit (a session's file written larger than its work folder) is EFBIG
     for us, not the end of the sandbox; every program gets the default back (execute.c). */
  signal(SIGXFSZ, SIG_IGN);
  /* SIGCHLD stays blocked but while we wait (ppoll), so an exit is never missed nor raced. */
  struct sigaction sa = {0};
  sa.sa_handler = on_child;
  sigaction(SIGCHLD, &sa, NULL);
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child, NULL);
  prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans come to us also when we are not PID 1 */
  work_as_program(1);
  workdir_open(work, wipe, wipes);
  int work_fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (work_fd < 0) die(work);

  if (!channel_read_key()) return 0; /* removed from a pool before it was used */
  char ready[96];
  int n = snprintf(ready, sizeof ready, "{\"protocol\":%d,\"uid\":%d}", PROTOCOL_VERSION, (int)getuid());
  channel_send(FRAME_READY, ready, (size_t)n);

  /* After a failed command every later one is refused, each with its error, until a sync. */
  int failed = 0;
  /* An execution ended before its stdin did: the rest of that stdin is still to come. */
  int stdin_owed = 0;
  struct frame f;
  while (channel_next(&f)) {
    if (f.type != FRAME_DATA && workdir_file_end() < 0) failed = 1;
    if (stdin_owed && f.type != FRAME_STDIN && f.type != FRAME_STDIN_END) {
      channel_send_error("frame '%c' before the end of the last program's stdin", f.type);
      return 125;
    }
    switch (f.type) {
      case FRAME_STDIN:
        if (!stdin_owed) goto unexpected;
        break; /* the program has ended: its stdin goes nowhere */
      case FRAME_STDIN_END:
        if (!stdin_owed) goto unexpected;
        stdin_owed = 0;
        break;
      case FRAME_SYNC:
        failed = 0;
        channel_send(FRAME_OK, "{}", 2);
        break;
      case FRAME_QUIT:
        channel_send(FRAME_BYE, "{}", 2);
        return 0;
      case FRAME_FILE:
        if (failed) { channel_send_error("not written: an earlier command failed"); break; }
        workdir_file_begin(f.payload, f.len);
        break;
      case FRAME_DATA:
        if (!failed) workdir_file_data(f.payload, f.len);
        break;
      case FRAME_SNAPSHOT:
        if (failed) channel_send_error("no snapshot: an earlier command failed");
        else if (workdir_snapshot() < 0) failed = 1;
        break;
      case FRAME_RESTORE:
        if (failed) channel_send_error("not restored: an earlier command failed");
        else if (workdir_restore() < 0) failed = 1;
        break;
      case FRAME_GET:
        workdir_get(f.payload, f.len, failed);
        break;
      case FRAME_REMOVE:
        if (failed) channel_send_error("not removed: an earlier command failed");
        else if (workdir_remove(f.payload, f.len) < 0) failed = 1;
        break;
      case FRAME_LOAD:
        if (failed) channel_send_error("not loaded: an earlier command failed");
        else if (workdir_load(f.payload, f.len) < 0) failed = 1;
        break;
      case FRAME_COLLECT:
        if (failed) channel_send_error("not collected: an earlier command failed");
        else if (f.len != 8) { channel_send_error("a collect frame without its budget"); failed = 1; }
        else workdir_collect(get_u64(f.payload));
        break;
      case FRAME_EXEC: {
        struct exec_spec spec;
        const char *problem = failed ? "not run: an earlier command failed" : exec_parse(f.payload, f.len, &spec);
        if (problem) {
          channel_send_error("%s", problem);
          failed = 1;
          stdin_owed = 1;
          break;
        }
        struct report r;
        stdin_owed = !execute(&spec, work_fd, &r);
        send_report(&r);
        break;
      }
      default:
      unexpected:
        channel_send_error("unexpected frame '%c'", f.type);
        return 125;
    }
  }
  return 0;
}
