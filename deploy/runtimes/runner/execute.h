/* One execution: the program started with its own pipes, supervised to its end, reported. */
#ifndef RUNBOX_EXECUTE_H
#define RUNBOX_EXECUTE_H
#include <stddef.h>
#include <stdint.h>

struct exec_spec {
  char **argv;   /* NULL-terminated */
  char **env;    /* NAME=value, NULL-terminated: over our environment, for the program only */
  char *cwd;     /* relative to the work folder, or NULL */
  int64_t time_ms, cpu_ms;
  long long output_bytes;
  int cgroup_peak; /* FIELD_CGROUP_PEAK */
  int shared;      /* FIELD_SHARED: stop and measure only this execution's own processes */
};

struct report {
  int status, timed_out, cpu_exceeded, oom_killed;
  int exceeded; /* -1 none, 0 stdout, 1 stderr */
  int64_t time_ms, cpu_ms;
  long long memory_bytes;
};

/* Where the cgroup of the sandbox is read (memory peak, OOM kills, CPU time). */
void execute_set_cgroup(const char *root);
/* Parses FRAME_EXEC into `spec` (pointing into a copy it owns); NULL, or why it is refused. */
const char *exec_parse(const unsigned char *payload, size_t len, struct exec_spec *spec);
/* Runs it; stdin comes as FRAME_STDIN frames until FRAME_STDIN_END. Returns whether that end
   was read (else the caller still owes the protocol to read it). */
int execute(const struct exec_spec *spec, int work_fd, struct report *r);
void send_report(const struct report *r);
/* Our environment with `over` (NAME=value, NULL-terminated) over it: what a program gets. */
char **program_environment(char **over);
#endif
