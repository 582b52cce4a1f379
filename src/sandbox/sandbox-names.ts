// A sandbox's container name says until when it may live and whose it is:
// `runbox-<deadline ms>-<owner>-<random>`. Labels cannot change once a container exists; a
// name can (docker rename), so a container kept waiting in a warm pool gets a new deadline and
// its run's id when a run takes it. The reaper reads the deadline back from the name.

const PREFIX = 'runbox-';
/** The owner of a sandbox waiting in a warm pool, until a run takes it (and renames it). */
export const POOL_OWNER = 'pool';
/** An owner is a run id, a session id or `pool`: letters, digits and dashes. */
const OWNER = /^[A-Za-z0-9-]{1,80}$/;
const NAME = /^\/?runbox-(\d{13,})-([A-Za-z0-9-]+)-([0-9a-f]{8})$/;

export function sandboxName(deadlineMs: number, owner: string, random: string): string {
  if (!OWNER.test(owner)) throw new Error(`a sandbox owner is letters, digits and dashes: ${JSON.stringify(owner)}`);
  return `${PREFIX}${Math.ceil(deadlineMs)}-${owner}-${random}`;
}

/** The deadline and owner in a container name (as Docker lists it, with or without its leading /); undefined for any other name. */
export function parseSandboxName(name: string): { deadlineMs: number; owner: string } | undefined {
  const match = NAME.exec(name);
  return match ? { deadlineMs: Number(match[1]), owner: match[2] } : undefined;
}
