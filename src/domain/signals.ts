// Linux signal numbers by name: the facades report signals as numbers (Judge0's exit_signal,
// isolate's "Caught fatal signal N") where runbox records their names.

const signalNumbers: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

export const signalNumber = (name: string | null): number | null => (name === null ? null : (signalNumbers[name] ?? null));

/** Whether `name` is a Linux signal's name (SIGTERM, SIGKILL, ...). */
export const isSignalName = (name: unknown): name is string => typeof name === 'string' && name in signalNumbers;
