/*
 * Four ways runbox-run is started (container-spec.ts decides):
 *   uid 1000            runc: the supervisor and the program share uid 1000. The kernel shields
 *                       the supervisor: as PID 1 it gets no signal of its namespace it has no
 *                       handler for, and it is not dumpable (no ptrace, no /proc/1/fd).
 *   uid 0               gVisor: the supervisor stays root with SETUID, SETGID, SETPCAP and KILL
 *                       only; the program drops to uid 1000 with an empty bounding set.
 *   uid 0, --root       userns-remap: both are root of a remapped user namespace; the kernel's
 *                       shields hold against root without CAP_SYS_PTRACE too.
 *   uid 0, --root,      gVisor with root inside: gVisor shields neither PID 1 nor a non-dumpable
 *   --supervisor-uid N  process from root, so the supervisor moves to uid N (keeping its
 *                       capabilities) and the program, root, loses KILL, SETUID, SETGID and
 *                       SETPCAP: it cannot signal the supervisor nor become its uid.
 * The frames are tagged with a key only the supervisor holds, so whatever a program reaches
 * of its supervisor's descriptors, it cannot speak in its name (channel.c).
 */
#define _GNU_SOURCE
#include "privileges.h"
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

enum mode { SAME, DROP, ROOT, ROOT_SEPARATE };
static enum mode mode = SAME;
static int supervisor;

static int raise_permitted(void) {
  struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &head, data) < 0) return -1;
  for (int i = 0; i < 2; i++) data[i].effective = data[i].permitted;
  return (int)syscall(SYS_capset, &head, data);
}

static void fail(const char *what) {
  dprintf(2, "runbox-run: %s: %s\n", what, strerror(errno));
  _exit(125);
}

void privileges_init(int root, int supervisor_uid) {
  if (getuid() != 0) return; /* SAME */
  if (!root) {
    mode = DROP;
    /* The program's bounding set is emptied here, once: it inherits it. Our own capabilities stay. */
    for (int cap = 0; cap <= 63; cap++)
      if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail("cannot empty the capability bounding set");
    return;
  }
  if (supervisor_uid <= 0) { mode = ROOT; return; }
  mode = ROOT_SEPARATE;
  supervisor = supervisor_uid;
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresgid((gid_t)supervisor_uid, (gid_t)supervisor_uid, (gid_t)supervisor_uid) < 0 ||
      setresuid((uid_t)supervisor_uid, (uid_t)supervisor_uid, (uid_t)supervisor_uid) < 0 || raise_permitted() < 0)
    fail("cannot move the supervisor to its own uid");
}

/*
 * The work folder's files are the program's: they are made, read and removed with the
 * program's effective uid (gVisor has no setfsuid). Only ever while no program runs: every
 * execution kills all it started before it returns, and switches back before it starts one.
 */
void work_as_program(int on) {
  if (mode == DROP) {
    if (on ? setegid(SANDBOX_GID) < 0 || seteuid(SANDBOX_UID) < 0 : seteuid(0) < 0 || setegid(0) < 0) fail("cannot switch the effective uid");
  } else if (mode == ROOT_SEPARATE) {
    if (on ? setegid(0) < 0 || seteuid(0) < 0 : seteuid((uid_t)supervisor) < 0 || setegid((gid_t)supervisor) < 0 || raise_permitted() < 0) fail("cannot switch the effective uid");
  }
}

void become_program_user(void) {
  work_as_program(0); /* the whole identity back first: a child of an idle supervisor starts on the program's euid */
  switch (mode) {
    case SAME:
    case ROOT:
      return;
    case DROP:
      if (setgroups(0, NULL) < 0 || setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID) < 0 || setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID) < 0) break;
      return;
    case ROOT_SEPARATE: {
      if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) break;
      /* Docker's default set but KILL, SETUID, SETGID and SETPCAP, and never SYS_ADMIN. */
      static const int allowed[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_MKNOD, CAP_AUDIT_WRITE, CAP_SETFCAP};
      for (int cap = 0; cap <= 63; cap++) {
        int keep = 0;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) keep |= allowed[i] == cap;
        if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) goto failed;
      }
      return;
    }
  }
failed:
  dprintf(2, "runbox-run: cannot become the program's user: %s\n", strerror(errno));
  _exit(126);
}
