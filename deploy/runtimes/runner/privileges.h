/* Who the supervisor and the program run as, by how runbox-run was started. */
#ifndef RUNBOX_PRIVILEGES_H
#define RUNBOX_PRIVILEGES_H

#define SANDBOX_UID 1000
#define SANDBOX_GID 1000

/* Settles the supervisor's own identity; `root`: the program runs as uid 0; `supervisor_uid`
   (> 0): the supervisor moves to that uid, out of a root program's reach (gVisor). */
void privileges_init(int root, int supervisor_uid);
/* 1: the supervisor's effective uid becomes the program's, for work on its files; 0: back. */
void work_as_program(int on);
/* In a child before exec: the program's uid, gid and capabilities. Exits 126 on failure. */
void become_program_user(void);
#endif
