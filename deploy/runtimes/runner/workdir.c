/*
 * Everything here runs inside the sandbox, as the program's user (the file-system uid is the
 * program's, see privileges.c), and never follows a link: every path is walked one
 * component at a time with O_NOFOLLOW, so a link the program planted leads nowhere. No
 * helper process is started: no tar, no shell.
 */
#define _GNU_SOURCE
#include "workdir.h"
#include "channel.h"
#include "privileges.h"
#include "protocol.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Folders deeper than this are moved up before they are emptied, and refused by a collect. */
#define MAX_DEPTH 128
/* What one entry of a collect costs against its budget besides its data. */
#define ENTRY_OVERHEAD 512
/* Where holes cannot be found, how much a collect reads for each byte of its budget. */
#define SCAN_PER_BUDGET 16
/* The same bound for a snapshot, which has no budget (it holds what the worker put there). */
#define SNAPSHOT_SCAN_BYTES (4ULL << 30)

static int work_fd = -1;
static int scratch_fds[8];
static int scratch_count;

void workdir_open(const char *work, const char *const *scratch, int count) {
  work_fd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (work_fd < 0) die(work);
  for (int i = 0; i < count && scratch_count < 8; i++) {
    int fd = open(scratch[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) scratch_fds[scratch_count++] = fd; /* absent (gVisor has no /dev/mqueue): nothing to empty */
  }
}

/* ---- paths ---- */

/* openat that never follows a link, also where the kernel would: gVisor follows a link named
   with O_DIRECTORY | O_NOFOLLOW. A name that is a link is ELOOP, and what was opened must be the
   entry that was looked at (the same device and inode), else ELOOP too: a name swapped for a link
   meanwhile leads nowhere. A name made here (O_CREAT) is made with O_EXCL, which never follows. */
static int openat_nofollow(int dir, const char *name, int flags, mode_t mode) {
  struct stat before, after;
  if (fstatat(dir, name, &before, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno != ENOENT || !(flags & O_CREAT)) return -1;
    return openat(dir, name, flags | O_EXCL | O_NOFOLLOW, mode);
  }
  if (S_ISLNK(before.st_mode)) { errno = ELOOP; return -1; }
  int fd = openat(dir, name, (flags & ~O_CREAT) | O_NOFOLLOW, mode);
  if (fd < 0) return -1;
  if (fstat(fd, &after) < 0 || after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
    close(fd);
    errno = ELOOP;
    return -1;
  }
  return fd;
}

/* Checks a relative path: no empty, "." or ".." component, no leading "/", no NUL. */
static int path_ok(const char *path, size_t len) {
  if (len == 0 || len >= PATH_MAX || path[0] == '/' || memchr(path, 0, len)) return 0;
  const char *p = path, *end = path + len;
  while (p < end) {
    const char *slash = memchr(p, '/', (size_t)(end - p));
    size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);
    if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || n > NAME_MAX) return 0;
    p += n + 1;
  }
  return 1;
}

/* Opens the folder that holds `path` (creating folders on the way when `create`), never through
   a link; *leaf points at the last component. -1 with errno on failure. */
static int open_parent(char *path, char **leaf, int create) {
  int dir = dup(work_fd);
  if (dir < 0) return -1;
  char *p = path;
  for (char *slash; (slash = strchr(p, '/')); p = slash + 1) {
    *slash = 0;
    if (create && mkdirat(dir, p, 0755) < 0 && errno != EEXIST) { int e = errno; close(dir); *slash = '/'; errno = e; return -1; }
    int next = openat_nofollow(dir, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    int e = errno;
    close(dir);
    *slash = '/';
    if (next < 0) { errno = e; return -1; }
    dir = next;
  }
  *leaf = p;
  return dir;
}

/* ---- files in ---- */

static struct {
  int active, failed, fd, dir;
  mode_t mode;
  uint64_t size;
  char path[PATH_MAX];
  char *leaf;
  char target[PATH_MAX]; /* a link's */
  size_t target_len;
  char error[300];
  int err; /* errno of the failure, when one said why */
} in;

static void file_fail(const char *what) {
  if (in.failed) return;
  in.failed = 1;
  in.err = errno;
  snprintf(in.error, sizeof in.error, "%s %.200s: %s", what, in.path, strerror(errno));
}

void workdir_file_begin(const unsigned char *payload, size_t len) {
  workdir_file_end();
  memset(&in, 0, sizeof in);
  in.fd = in.dir = -1;
  in.active = 1;
  if (len < 12 || !path_ok((const char *)payload + 12, len - 12)) {
    in.failed = 1;
    snprintf(in.error, sizeof in.error, "a file frame with a bad path");
    return;
  }
  in.mode = get_u32(payload);
  in.size = get_u64(payload + 4);
  memcpy(in.path, payload + 12, len - 12);
  in.path[len - 12] = 0;
  in.dir = open_parent(in.path, &in.leaf, 1);
  if (in.dir < 0) return file_fail("cannot make the folder of");
  mode_t perms = in.mode & 0777; /* never setuid, setgid or sticky */
  if (S_ISDIR(in.mode)) {
    if (mkdirat(in.dir, in.leaf, perms | 0700) < 0 && errno != EEXIST) return file_fail("cannot make");
    int fd = openat_nofollow(in.dir, in.leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) return file_fail("cannot open");
    fchmod(fd, perms | 0700);
    close(fd);
  } else if (S_ISREG(in.mode)) {
    /* O_NONBLOCK: a FIFO the program left at that name must not hold us (it is refused below). */
    in.fd = openat_nofollow(in.dir, in.leaf, O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
    if (in.fd < 0) return file_fail("cannot write");
    struct stat st;
    if (fstat(in.fd, &st) < 0) return file_fail("cannot write");
    if (!S_ISREG(st.st_mode)) { errno = EINVAL; return file_fail("not a regular file:"); }
    if (fchmod(in.fd, perms) < 0 || ftruncate(in.fd, 0) < 0 || ftruncate(in.fd, (off_t)in.size) < 0) return file_fail("cannot write");
  } else if (!S_ISLNK(in.mode) || in.size >= PATH_MAX) {
    in.failed = 1;
    snprintf(in.error, sizeof in.error, "%.200s: only files, folders and links are sent", in.path);
  }
}

void workdir_file_data(const unsigned char *payload, size_t len) {
  if (!in.active) {
    in.active = in.failed = 1;
    snprintf(in.error, sizeof in.error, "a data frame without a file frame");
    return;
  }
  if (in.failed) return;
  if (len < 8) { in.failed = 1; snprintf(in.error, sizeof in.error, "a short data frame"); return; }
  uint64_t offset = get_u64(payload);
  size_t n = len - 8;
  if (offset > in.size || n > in.size - offset) {
    in.failed = 1;
    snprintf(in.error, sizeof in.error, "%.200s: data past its size", in.path);
    return;
  }
  if (S_ISLNK(in.mode)) {
    if (offset != in.target_len) { in.failed = 1; snprintf(in.error, sizeof in.error, "a link target out of order"); return; }
    memcpy(in.target + in.target_len, payload + 8, n);
    in.target_len += n;
    return;
  }
  if (in.fd < 0) { in.failed = 1; snprintf(in.error, sizeof in.error, "%.200s: data for a folder", in.path); return; }
  for (size_t done = 0; done < n;) {
    ssize_t w = pwrite(in.fd, payload + 8 + done, n - done, (off_t)(offset + done));
    if (w < 0) { if (errno == EINTR) continue; return file_fail("cannot write"); }
    done += (size_t)w;
  }
}

int workdir_file_end(void) {
  if (!in.active) return 0;
  in.active = 0;
  if (!in.failed && S_ISLNK(in.mode)) {
    in.target[in.target_len] = 0;
    if (in.target_len != in.size || symlinkat(in.target, in.dir, in.leaf) < 0) file_fail("cannot link");
  }
  if (in.fd >= 0) close(in.fd);
  if (in.dir >= 0) close(in.dir);
  if (!in.failed) return 0;
  channel_send_errno(in.err, "%s", in.error);
  return -1;
}

/* ---- walking the work folder ---- */

/* Calls `visit` for every entry under `dir` (pre-order: a folder before what it holds), with
   its path relative to the work folder. Links are reported, never followed. */
typedef int (*visit_fn)(int parent, const char *name, const char *path, const struct stat *st, void *ctx);

static int walk(int dir, char *path, size_t path_len, int depth, visit_fn visit, void *ctx) {
  if (depth > MAX_DEPTH) { errno = ELOOP; return -1; }
  int fd = dup(dir);
  if (fd < 0) return -1;
  DIR *d = fdopendir(fd);
  if (!d) { close(fd); return -1; }
  rewinddir(d); /* a dup shares its offset with `dir`, which an earlier walk left at the end */
  int result = 0;
  struct dirent *e;
  while (result == 0 && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    size_t n = strlen(e->d_name);
    if (path_len + n + 2 >= PATH_MAX) { errno = ENAMETOOLONG; result = -1; break; }
    if (path_len) path[path_len] = '/';
    memcpy(path + path_len + (path_len ? 1 : 0), e->d_name, n + 1);
    size_t len = path_len + (path_len ? 1 : 0) + n;
    result = visit(dir, e->d_name, path, &st, ctx);
    if (result == 0 && S_ISDIR(st.st_mode)) {
      int sub = openat_nofollow(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (sub < 0 && errno == EACCES) { fchmodat(dir, e->d_name, st.st_mode | 0700, 0); sub = openat_nofollow(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0); }
      if (sub < 0) result = -1;
      else { result = walk(sub, path, len, depth + 1, visit, ctx); close(sub); }
    }
    path[path_len] = 0;
  }
  closedir(d);
  return result;
}

/* Opens a regular file to read it, making it readable first if it is not (it is ours). */
static int open_for_reading(int parent, const char *name, const struct stat *st) {
  /* O_NONBLOCK, and a regular file only: the name may have been swapped for a FIFO meanwhile. */
  const int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
  int fd = openat_nofollow(parent, name, flags, 0);
  if (fd < 0 && errno == EACCES && fchmodat(parent, name, st->st_mode | 0400, 0) == 0) fd = openat_nofollow(parent, name, flags, 0);
  struct stat now;
  if (fd >= 0 && (fstat(fd, &now) < 0 || !S_ISREG(now.st_mode))) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

/* The parts of a file that hold data (a sparse file's holes are skipped); calls `piece` for
   each block read, at most CHUNK_BYTES. Where the file system cannot tell holes (gVisor's tmpfs
   answers SEEK_DATA with EINVAL), the file is read through and blocks of zeros are skipped,
   each byte read counted against `*scan_left`: past it, -1 with EFBIG. */
typedef int (*piece_fn)(uint64_t offset, const unsigned char *data, size_t len, void *ctx);

static int all_zero(const unsigned char *p, size_t n) { return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0); }

static int read_pieces(int fd, uint64_t size, piece_fn piece, void *ctx, uint64_t *scan_left) {
  static unsigned char buf[CHUNK_BYTES];
  off_t pos = 0;
  int holes_known = 1;
  while ((uint64_t)pos < size) {
    off_t data = holes_known ? lseek(fd, pos, SEEK_DATA) : pos;
    if (data < 0) {
      if (errno == ENXIO) break; /* only a hole is left */
      holes_known = 0;           /* no SEEK_DATA here: read it all */
      data = pos;
    }
    off_t hole = holes_known ? lseek(fd, data, SEEK_HOLE) : (off_t)size;
    if (hole < 0 || (uint64_t)hole > size) hole = (off_t)size;
    for (off_t at = data; at < hole;) {
      size_t want = (size_t)(hole - at) < sizeof buf ? (size_t)(hole - at) : sizeof buf;
      ssize_t n = pread(fd, buf, want, at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return n < 0 ? -1 : 0; /* shrank meanwhile */
      if (!holes_known) {
        if ((uint64_t)n > *scan_left) { errno = EFBIG; return -1; }
        *scan_left -= (uint64_t)n;
      }
      if ((holes_known || !all_zero(buf, (size_t)n)) && piece((uint64_t)at, buf, (size_t)n, ctx) < 0) return -1;
      at += n;
    }
    pos = hole;
  }
  return 0;
}

/* ---- snapshot and restore ---- */

struct piece { uint64_t offset; size_t len; struct piece *next; unsigned char data[]; };
struct entry { mode_t mode; uint64_t size; char *path; char *target; struct piece *pieces, **tail; struct entry *next; };
static struct entry *snapshot, **snapshot_tail = &snapshot;
static uint64_t snapshot_scan_left;

static void free_snapshot(void) {
  while (snapshot) {
    struct entry *e = snapshot;
    snapshot = e->next;
    while (e->pieces) { struct piece *p = e->pieces; e->pieces = p->next; free(p); }
    free(e->path);
    free(e->target);
    free(e);
  }
  snapshot_tail = &snapshot;
}

static int keep_piece(uint64_t offset, const unsigned char *data, size_t len, void *ctx) {
  struct entry *e = ctx;
  struct piece *p = malloc(sizeof *p + len);
  if (!p) return -1;
  p->offset = offset;
  p->len = len;
  p->next = NULL;
  memcpy(p->data, data, len);
  *e->tail = p;
  e->tail = &p->next;
  return 0;
}

static int keep_entry(int parent, const char *name, const char *path, const struct stat *st, void *ctx) {
  (void)ctx;
  if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode)) return 0;
  struct entry *e = calloc(1, sizeof *e);
  if (!e || !(e->path = strdup(path))) return -1;
  e->mode = st->st_mode;
  e->size = (uint64_t)st->st_size;
  e->tail = &e->pieces;
  *snapshot_tail = e;
  snapshot_tail = &e->next;
  if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
    if (n < 0) return -1;
    target[n] = 0;
    return (e->target = strdup(target)) ? 0 : -1;
  }
  if (!S_ISREG(st->st_mode)) return 0;
  int fd = open_for_reading(parent, name, st);
  if (fd < 0) return -1;
  int result = read_pieces(fd, e->size, keep_piece, e, &snapshot_scan_left);
  close(fd);
  return result;
}

int workdir_snapshot(void) {
  free_snapshot();
  snapshot_scan_left = SNAPSHOT_SCAN_BYTES;
  char path[PATH_MAX] = "";
  if (walk(work_fd, path, 0, 0, keep_entry, NULL) == 0) return 0;
  channel_send_error("cannot keep the work folder (%s)", strerror(errno));
  free_snapshot();
  return -1;
}

/* Removes everything in `dir` (not `dir` itself). Folders deeper than MAX_DEPTH are moved up
   to `top` first, so no tree is too deep to empty. */
static int empty_folder(int top, int dir, int depth, int *moved) {
  int fd = dup(dir);
  if (fd < 0) return -1;
  if (depth > 0) fchmod(dir, 0700); /* a folder the program made unreadable or unwritable is its own */
  DIR *d = fdopendir(fd);
  if (!d) { close(fd); return -1; }
  rewinddir(d);
  int result = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (unlinkat(dir, e->d_name, 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR && errno != EPERM) { result = -1; continue; }
    if (depth >= MAX_DEPTH) {
      char name[64];
      snprintf(name, sizeof name, ".runbox-deep-%d", (*moved)++);
      if (renameat(dir, e->d_name, top, name) < 0) result = -1;
      continue;
    }
    int sub = openat_nofollow(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (sub < 0) { fchmodat(dir, e->d_name, 0700, 0); sub = openat_nofollow(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0); }
    if (sub < 0) { result = -1; continue; }
    if (empty_folder(top, sub, depth + 1, moved) < 0) result = -1;
    close(sub);
    if (unlinkat(dir, e->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT) result = -1;
  }
  closedir(d);
  return result;
}

static int empty_tree(int top) {
  for (int pass = 0; pass < 64; pass++) {
    int moved = 0;
    int result = empty_folder(top, top, 0, &moved);
    if (moved == 0) return result;
  }
  errno = ELOOP;
  return -1;
}

/* System V message queues, shared memory and semaphores outlive their processes; a test must
   not find what the one before it left. Removed by a child with the program's credentials
   (the owner may remove them; under gVisor we are root without CAP_SYS_ADMIN). */
static void remove_system_v_ipc(void) {
  pid_t pid = fork();
  if (pid < 0) return;
  if (pid > 0) { while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {} return; }
  become_program_user();
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#define SEM_STAT_ANY 20
#define SHM_STAT_ANY 15
#endif
  struct msqid_ds mq;
  struct msginfo mi;
  int max = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
  for (int i = 0; i <= max; i++) {
    int id = msgctl(i, MSG_STAT_ANY, &mq);
    if (id < 0) id = msgctl(i, MSG_STAT, &mq);
    if (id >= 0) msgctl(id, IPC_RMID, NULL);
  }
  struct shmid_ds sm;
  struct shminfo si;
  max = shmctl(0, SHM_INFO, (struct shmid_ds *)&si);
  for (int i = 0; i <= max; i++) {
    int id = shmctl(i, SHM_STAT_ANY, &sm);
    if (id < 0) id = shmctl(i, SHM_STAT, &sm);
    if (id >= 0) shmctl(id, IPC_RMID, NULL);
  }
  struct semid_ds sd;
  struct seminfo se;
  union { int val; struct semid_ds *buf; struct seminfo *info; } arg;
  arg.info = &se;
  max = semctl(0, 0, SEM_INFO, arg);
  for (int i = 0; i <= max; i++) {
    arg.buf = &sd;
    int id = semctl(i, 0, SEM_STAT_ANY, arg);
    if (id < 0) id = semctl(i, 0, SEM_STAT, arg);
    if (id >= 0) semctl(id, 0, IPC_RMID);
  }
  _exit(0);
}

static int put_back(void) {
  for (struct entry *e = snapshot; e; e = e->next) {
    char path[PATH_MAX], *leaf;
    snprintf(path, sizeof path, "%s", e->path);
    int dir = open_parent(path, &leaf, 1);
    if (dir < 0) return -1;
    int result = 0;
    if (S_ISDIR(e->mode)) {
      result = mkdirat(dir, leaf, e->mode & 0777) < 0 && errno != EEXIST ? -1 : 0;
      fchmodat(dir, leaf, e->mode & 0777, 0);
    } else if (S_ISLNK(e->mode)) {
      result = symlinkat(e->target, dir, leaf);
    } else {
      int fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e->mode & 0777);
      if (fd < 0 || fchmod(fd, e->mode & 0777) < 0 || ftruncate(fd, (off_t)e->size) < 0) result = -1;
      for (struct piece *p = e->pieces; result == 0 && p; p = p->next)
        if (pwrite(fd, p->data, p->len, (off_t)p->offset) != (ssize_t)p->len) result = -1;
      if (fd >= 0) close(fd);
    }
    close(dir);
    if (result < 0) return -1;
  }
  return 0;
}

int workdir_restore(void) {
  const char *failed = NULL;
  if (empty_tree(work_fd) < 0) failed = "cannot empty the work folder";
  for (int i = 0; i < scratch_count; i++)
    if (empty_tree(scratch_fds[i]) < 0 && !failed) failed = "cannot empty a scratch folder";
  remove_system_v_ipc();
  if (!failed && put_back() < 0) failed = "cannot put the work folder back";
  if (!failed) return 0;
  channel_send_error("%s (%s)", failed, strerror(errno));
  return -1;
}

/* ---- collect ---- */

struct collect { uint64_t budget, used, scan_left; unsigned files; int exceeded; };

static int send_piece(uint64_t offset, const unsigned char *data, size_t len, void *ctx) {
  struct collect *c = ctx;
  if (c->used + len > c->budget) { c->exceeded = 1; return -1; }
  c->used += len;
  static unsigned char frame[8 + CHUNK_BYTES];
  put_u64(frame, offset);
  memcpy(frame + 8, data, len);
  channel_send(FRAME_DATA, frame, 8 + len);
  return 0;
}

static int send_entry(int parent, const char *name, const char *path, const struct stat *st, void *ctx) {
  struct collect *c = ctx;
  if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode) && !S_ISLNK(st->st_mode)) return 0;
  if (c->used + ENTRY_OVERHEAD > c->budget) { c->exceeded = 1; return -1; }
  c->used += ENTRY_OVERHEAD;
  char target[PATH_MAX];
  ssize_t target_len = 0;
  int fd = -1;
  if (S_ISLNK(st->st_mode) && (target_len = readlinkat(parent, name, target, sizeof target)) < 0) return -1;
  if (S_ISREG(st->st_mode) && (fd = open_for_reading(parent, name, st)) < 0) return -1;
  size_t path_len = strlen(path);
  unsigned char head[12 + PATH_MAX];
  put_u32(head, (uint32_t)st->st_mode);
  put_u64(head + 4, S_ISLNK(st->st_mode) ? (uint64_t)target_len : S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0);
  memcpy(head + 12, path, path_len);
  channel_send(FRAME_FILE, head, 12 + path_len);
  c->files++;
  int result = 0;
  if (S_ISLNK(st->st_mode)) result = send_piece(0, (const unsigned char *)target, (size_t)target_len, c);
  if (fd >= 0) {
    result = read_pieces(fd, (uint64_t)st->st_size, send_piece, c, &c->scan_left);
    if (result < 0 && errno == EFBIG) c->exceeded = 1;
    close(fd);
  }
  return result;
}

void workdir_collect(uint64_t budget) {
  struct collect c = {budget, 0, budget * SCAN_PER_BUDGET, 0, 0};
  char path[PATH_MAX] = "";
  int result = walk(work_fd, path, 0, 0, send_entry, &c);
  char json[160];
  int n = snprintf(json, sizeof json, "{\"files\":%u,\"bytes\":%llu,\"exceeded\":%s}", c.files, (unsigned long long)c.used,
                   c.exceeded ? "true" : "false");
  if (result < 0 && !c.exceeded) channel_send_error("cannot read the work folder (%s)", strerror(errno));
  channel_send(FRAME_COLLECTED, json, (size_t)n);
}

/* ---- one path: read, list, remove (a session's files) ---- */

/* A client's path, checked; "" is the work folder itself. 0 fine, -1 with errno EINVAL. */
static int client_path(const unsigned char *payload, size_t len, char path[PATH_MAX]) {
  if (len == 0) { path[0] = 0; return 0; }
  if (!path_ok((const char *)payload, len)) { errno = EINVAL; return -1; }
  memcpy(path, payload, len);
  path[len] = 0;
  return 0;
}

/* Opens the folder holding `path` without creating or following anything; a component that is
   a link says ELOOP (links are never followed), one that is missing ENOENT. */
static int open_parent_nofollow(char *path, char **leaf) {
  int dir = open_parent(path, leaf, 0);
  if (dir >= 0 || errno != ENOTDIR) return dir;
  /* Which component failed: a link (ELOOP) or a file (ENOTDIR)? */
  int e = ENOTDIR, at = dup(work_fd);
  for (char *p = path, *slash; at >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
    *slash = 0;
    struct stat st;
    int found = fstatat(at, p, &st, AT_SYMLINK_NOFOLLOW);
    int next = found == 0 && S_ISDIR(st.st_mode) ? openat_nofollow(at, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0) : -1;
    *slash = '/';
    if (found == 0 && S_ISLNK(st.st_mode)) e = ELOOP;
    close(at);
    at = next;
  }
  if (at >= 0) close(at);
  errno = e;
  return -1;
}

static void send_entry_frame(const char *name, const struct stat *st) {
  unsigned char head[20 + NAME_MAX + 1];
  size_t n = strlen(name);
  put_u32(head, (uint32_t)st->st_mode);
  put_u64(head + 4, S_ISDIR(st->st_mode) ? 0 : (uint64_t)st->st_size);
  put_u64(head + 12, (uint64_t)st->st_mtim.tv_sec * 1000 + (uint64_t)st->st_mtim.tv_nsec / 1000000);
  memcpy(head + 20, name, n);
  channel_send(FRAME_ENTRY, head, 20 + n);
}

/* A folder's entries (not what they hold): each costs its name and ENTRY_OVERHEAD / 8. */
static void list_folder(int fd, struct collect *c) {
  DIR *d = fdopendir(fd);
  if (!d) { close(fd); channel_send_errno(errno, "cannot list the folder"); return; }
  rewinddir(d); /* a dup of the work folder shares its offset with it */
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) continue; /* gone meanwhile */
    uint64_t cost = ENTRY_OVERHEAD / 8 + strlen(e->d_name);
    if (c->used + cost > c->budget) { c->exceeded = 1; break; }
    c->used += cost;
    c->files++;
    send_entry_frame(e->d_name, &st);
  }
  closedir(d);
}

void workdir_get(const unsigned char *payload, size_t len, int refused) {
  struct collect c = {0, 0, 0, 0, 0};
  char path[PATH_MAX], *leaf = NULL;
  int dir = -1;
  if (refused) { channel_send_error("not read: an earlier command failed"); goto done; }
  if (len < 8) { channel_send_error("a get frame without its budget"); goto done; }
  c.budget = get_u64(payload);
  c.scan_left = c.budget * SCAN_PER_BUDGET;
  if (client_path(payload + 8, len - 8, path) < 0) { channel_send_errno(errno, "a bad path"); goto done; }
  if (!path[0]) { list_folder(dup(work_fd), &c); goto done; }
  dir = open_parent_nofollow(path, &leaf);
  struct stat st;
  if (dir < 0 || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) { channel_send_errno(errno, "cannot read %.200s", path); goto done; }
  if (S_ISLNK(st.st_mode)) { channel_send_errno(ELOOP, "%.200s is a link; links are not followed", path); goto done; }
  if (S_ISDIR(st.st_mode)) {
    int fd = openat_nofollow(dir, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0 && errno == EACCES && fchmodat(dir, leaf, st.st_mode | 0700, 0) == 0) fd = openat_nofollow(dir, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) channel_send_errno(errno, "cannot list %.200s", path);
    else list_folder(fd, &c);
    goto done;
  }
  if (!S_ISREG(st.st_mode)) { channel_send_errno(EINVAL, "%.200s is not a regular file or a folder", path); goto done; }
  /* Its size as stored (holes included) must fit: the host hands on every byte of it. */
  if ((uint64_t)st.st_size > c.budget) { c.exceeded = 1; goto done; }
  int fd = open_for_reading(dir, leaf, &st);
  if (fd < 0) { channel_send_errno(errno, "cannot read %.200s", path); goto done; }
  fstat(fd, &st);
  unsigned char head[12 + PATH_MAX];
  put_u32(head, (uint32_t)st.st_mode);
  put_u64(head + 4, (uint64_t)st.st_size);
  memcpy(head + 12, path, strlen(path));
  channel_send(FRAME_FILE, head, 12 + strlen(path));
  c.files = 1;
  /* Data only up to the size announced: a file that grows meanwhile is cut there. */
  if (read_pieces(fd, (uint64_t)st.st_size, send_piece, &c, &c.scan_left) < 0 && !c.exceeded)
    channel_send_errno(errno, "cannot read %.200s", path);
  close(fd);
done:
  if (dir >= 0) close(dir);
  char json[160];
  int n = snprintf(json, sizeof json, "{\"files\":%u,\"bytes\":%llu,\"exceeded\":%s}", c.files, (unsigned long long)c.used,
                   c.exceeded ? "true" : "false");
  channel_send(FRAME_COLLECTED, json, (size_t)n);
}

int workdir_remove(const unsigned char *payload, size_t len) {
  char path[PATH_MAX], *leaf = NULL;
  if (len == 0 || client_path(payload, len, path) < 0) { channel_send_errno(EINVAL, "a bad path"); return -1; }
  int dir = open_parent_nofollow(path, &leaf);
  struct stat st;
  if (dir < 0 || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    channel_send_errno(errno, "cannot remove %.200s", path);
    if (dir >= 0) close(dir);
    return -1;
  }
  int result = 0;
  if (S_ISDIR(st.st_mode)) {
    int sub = openat_nofollow(dir, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (sub < 0 && fchmodat(dir, leaf, 0700, 0) == 0) sub = openat_nofollow(dir, leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    result = sub < 0 || empty_tree(sub) < 0 || unlinkat(dir, leaf, AT_REMOVEDIR) < 0 ? -1 : 0;
    if (sub >= 0) close(sub);
  } else {
    result = unlinkat(dir, leaf, 0);
  }
  if (result < 0) channel_send_errno(errno, "cannot remove %.200s", path);
  close(dir);
  return result;
}

/* ---- load: a snapshot's work folder, kept in the image, copied into the work folder ---- */

static int copy_piece(uint64_t offset, const unsigned char *data, size_t len, void *ctx) {
  int fd = *(int *)ctx;
  for (size_t done = 0; done < len;) {
    ssize_t w = pwrite(fd, data + done, len - done, (off_t)(offset + done));
    if (w < 0) { if (errno == EINTR) continue; return -1; }
    done += (size_t)w;
  }
  return 0;
}

static uint64_t load_scan_left;

static int copy_entry(int parent, const char *name, const char *path, const struct stat *st, void *ctx) {
  (void)ctx;
  char target_path[PATH_MAX], *leaf;
  snprintf(target_path, sizeof target_path, "%s", path);
  int dir = open_parent(target_path, &leaf, 1);
  if (dir < 0) return -1;
  int result = 0;
  mode_t perms = st->st_mode & 0777;
  if (S_ISDIR(st->st_mode)) {
    result = mkdirat(dir, leaf, perms | 0700) < 0 && errno != EEXIST ? -1 : 0;
    if (result == 0) fchmodat(dir, leaf, perms | 0700, 0);
  } else if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
    if (n < 0) result = -1;
    else { target[n] = 0; result = symlinkat(target, dir, leaf); }
  } else if (S_ISREG(st->st_mode)) {
    int in_fd = open_for_reading(parent, name, st);
    int out_fd = in_fd < 0 ? -1 : openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out_fd < 0 || fchmod(out_fd, perms) < 0 || ftruncate(out_fd, st->st_size) < 0 ||
        read_pieces(in_fd, (uint64_t)st->st_size, copy_piece, &out_fd, &load_scan_left) < 0)
      result = -1;
    if (in_fd >= 0) close(in_fd);
    if (out_fd >= 0) close(out_fd);
  }
  int e = errno;
  close(dir);
  errno = e;
  return result;
}

int workdir_load(const unsigned char *payload, size_t len) {
  char from[PATH_MAX];
  if (len == 0 || len >= PATH_MAX || payload[0] != '/' || memchr(payload, 0, len)) { channel_send_errno(EINVAL, "a bad folder to load"); return -1; }
  memcpy(from, payload, len);
  from[len] = 0;
  int src = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0) { channel_send_errno(errno, "cannot open %.200s", from); return -1; }
  load_scan_left = SNAPSHOT_SCAN_BYTES;
  char path[PATH_MAX] = "";
  int result = walk(src, path, 0, 0, copy_entry, NULL);
  if (result < 0) channel_send_errno(errno, "cannot load %.200s into the work folder", from);
  close(src);
  return result;
}
