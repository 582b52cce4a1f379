/* A session's terminal: runbox-run --shell, started by the engine beside the supervisor (docker
   exec), and runbox-run --hangup, which the worker starts the same way to end one. */
#ifndef RUNBOX_SHELL_H
#define RUNBOX_SHELL_H
/* `argv` after --shell: [--root [--supervisor-uid N]] --id ID [--env NAME=value]... -- PROGRAM [ARG]...
   Never returns: exits with PROGRAM's status, or 125 (a bad command line), 126/127 (cannot run it). */
int shell_main(int argc, char **argv) __attribute__((noreturn));
/* `argv` after --hangup: ID. Hangs up the terminal of that id; exits 0 when there was one, 1 when not. */
int hangup_main(int argc, char **argv) __attribute__((noreturn));
#endif
