/* runbox's own seccomp filter, stacked on the engine's (Docker's default profile under runc). */
#ifndef RUNBOX_SECCOMP_H
#define RUNBOX_SECCOMP_H
/* Installs the filter in the calling process (and so in everything it starts); -1 on failure. */
int install_filter(void);
#endif
