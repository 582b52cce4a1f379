/* A session's terminal: runbox-run --shell, started by the engine beside the supervisor (docker exec). */
#ifndef RUNBOX_SHELL_H
#define RUNBOX_SHELL_H
/* `argv` after --shell: [--root [--supervisor-uid N]] [--env NAME=value]... -- PROGRAM [ARG]...
   Never returns: becomes PROGRAM, or exits 125 (a bad command line) or 126/127 (cannot run it). */
int shell_main(int argc, char **argv) __attribute__((noreturn));
#endif
