// Judge0's submission statuses (ids 1-14, its exact descriptions) and how a runbox run maps
// onto them. Pure: the API renders submissions with it, the worker its callbacks.
import type { RunRecord } from '../run-record.js';
import { signalNumber } from '../signals.js';

export const judge0Statuses = [
  { id: 1, description: 'In Queue' },
  { id: 2, description: 'Processing' },
  { id: 3, description: 'Accepted' },
  { id: 4, description: 'Wrong Answer' },
  { id: 5, description: 'Time Limit Exceeded' },
  { id: 6, description: 'Compilation Error' },
  { id: 7, description: 'Runtime Error (SIGSEGV)' },
  { id: 8, description: 'Runtime Error (SIGXFSZ)' },
  { id: 9, description: 'Runtime Error (SIGFPE)' },
  { id: 10, description: 'Runtime Error (SIGABRT)' },
  { id: 11, description: 'Runtime Error (NZEC)' },
  { id: 12, description: 'Runtime Error (Other)' },
  { id: 13, description: 'Internal Error' },
  { id: 14, description: 'Exec Format Error' },
] as const;

export type Judge0Status = (typeof judge0Statuses)[number];

const byId = (id: Judge0Status['id']): Judge0Status => judge0Statuses[id - 1];

/** The status Judge0 gives a program killed by `signal` (its table of runtime errors by signal). */
function signalStatus(signal: string): Judge0Status {
  if (signal === 'SIGSEGV') return byId(7);
  if (signal === 'SIGXFSZ') return byId(8);
  if (signal === 'SIGFPE') return byId(9);
  if (signal === 'SIGABRT') return byId(10);
  return byId(12);
}

/**
 * A run's Judge0 status. Judge0 has no memory limit, output limit, cancelled or failed status:
 * memory_limit_exceeded is 12 (a cgroup kill, as Judge0 reports one), output_limit_exceeded 8
 * (Judge0's output is a file bounded by max_file_size: SIGXFSZ), cancelled and failed 13; nor
 * a checker's presentation error or partial points (runbox_checker): both 4, Wrong Answer.
 * The extension fields runbox_status and runbox_verdict say which.
 */
export function judge0StatusOf(record: Pick<RunRecord, 'status' | 'verdict' | 'signal' | 'exitCode'>): Judge0Status {
  switch (record.status) {
    case 'queued':
      return byId(1);
    case 'running':
      return byId(2);
    case 'cancelled':
    case 'failed':
      return byId(13);
  }
  switch (record.verdict) {
    case 'ok':
    case 'accepted':
      return byId(3);
    case 'wrong_answer':
    case 'presentation_error':
    case 'partially_accepted':
      return byId(4);
    case 'time_limit_exceeded':
      return byId(5);
    case 'compilation_error':
      return byId(6);
    case 'output_limit_exceeded':
      return byId(8);
    case 'memory_limit_exceeded':
      return byId(12);
    case 'runtime_error':
      return record.signal ? signalStatus(record.signal) : byId(11);
    default:
      return byId(13);
  }
}

/** Judge0's `message`: isolate's wording for what ended the program, why the service did not run it, or a checker's message. */
export function judge0MessageOf(record: Pick<RunRecord, 'status' | 'verdict' | 'signal' | 'exitCode' | 'error' | 'tests'>): string | null {
  if (record.status === 'cancelled') return 'the submission was cancelled';
  if (record.status === 'failed') return record.error ?? 'the service could not run the submission';
  switch (record.verdict) {
    case 'time_limit_exceeded':
      return 'Time limit exceeded';
    case 'memory_limit_exceeded':
      return 'Memory limit exceeded';
    case 'output_limit_exceeded':
      return 'Output limit exceeded';
    case 'runtime_error':
      if (record.signal) return `Caught fatal signal ${signalNumber(record.signal) ?? record.signal}`;
      return `Exited with error status ${record.exitCode}`;
    default:
      return record.tests?.[0]?.message ?? null;
  }
}
