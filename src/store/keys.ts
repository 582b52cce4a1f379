// Every Redis key runbox uses, in one place.
export function createKeys(prefix: string) {
  return {
    run: (id: string) => `${prefix}:run:${id}`,
    /** Frames clients read: status, stdout/stderr, end. Stream ids are `<seq>-<n>`. */
    events: (id: string) => `${prefix}:run:${id}:events`,
    /** The request as validated by the API (files, stdin, tests): for the worker, until the run ends. */
    request: (id: string) => `${prefix}:run:${id}:request`,
    /** The data of a run's artifacts: a hash, one field per kept file (artifact-store.ts). */
    artifacts: (id: string) => `${prefix}:run:${id}:artifacts`,
    /** Frames clients send to a running run: stdin, eof, cancel. */
    input: (id: string) => `${prefix}:run:${id}:input`,
    /** A worker's input reader is woken through this stream when a run is added to its read. */
    inputWake: (reader: string) => `${prefix}:inputwake:${reader}`,
    runtimeVersions: () => `${prefix}:runtimes`,
    /** What workers report about built-in runtimes whose image they lack: language -> state (JSON). */
    runtimeStates: () => `${prefix}:runtimes:state`,
    /** Custom runtimes: name -> definition and state (JSON), without the Dockerfile and files. */
    customRuntimes: () => `${prefix}:runtimes:custom`,
    /** A custom runtime's Dockerfile instructions and build files (JSON), for any worker to build from. */
    customRuntimeSource: (name: string) => `${prefix}:runtime:${name}:source`,
    /** A custom runtime's build log: log, progress, status and end frames. */
    runtimeBuildLog: (name: string) => `${prefix}:runtime:${name}:build`,
    /** Pub/sub channel: a custom runtime was deleted (workers remove its images). */
    runtimeEvents: () => `${prefix}:runtimes:events`,
    /** Failed authentications from one client address in the current minute: a counter. */
    authFailures: (address: string) => `${prefix}:authfail:${address}`,
    /**
     * Output kept in Redis, by one key's runs (`owner`) or by all: a sorted set of
     * "<run id> <bytes>" scored by when the run expires (ms), and its total in `<ledger>:bytes`.
     */
    outputLedger: (owner?: string) => (owner === undefined ? `${prefix}:output:all` : `${prefix}:output:key:${owner}`),
    outputLedgerBytes: (owner?: string) => `${owner === undefined ? `${prefix}:output:all` : `${prefix}:output:key:${owner}`}:bytes`,
    /** What a Judge0 submission asked for that its run record does not hold (JSON), by run id. */
    judge0Submission: (id: string) => `${prefix}:judge0:${id}`,
    /** Every Judge0 submission kept, for GET /judge0/submissions: a sorted set of run ids scored by creation (ms). */
    judge0Submissions: () => `${prefix}:judge0:index`,
    /** Runs a key has queued or running: a sorted set, score = when the entry lapses. */
    inFlight: (owner: string) => `${prefix}:inflight:${owner}`,
    /** A session's record (a hash of plain fields). */
    session: (id: string) => `${prefix}:session:${id}`,
    /** Open sessions of one key (`owner`) or of all: sorted sets of ids, score = when the entry lapses. */
    openSessions: (owner?: string) => (owner === undefined ? `${prefix}:sessions:all` : `${prefix}:sessions:key:${owner}`),
    /** Workers that beat: a sorted set of ids, score = the last beat (ms). */
    workers: () => `${prefix}:workers`,
    /** One worker: a hash (its Docker engine, capacity, sessions) that lapses unless it beats. */
    worker: (id: string) => `${prefix}:worker:${id}`,
    /** The sessions one worker holds: a set of ids. */
    workerSessions: (id: string) => `${prefix}:worker:${id}:sessions`,
    /** Commands for one worker's sessions (a stream the worker reads). */
    workerCommands: (id: string) => `${prefix}:worker:${id}:commands`,
    /** The answer to one command: a stream of output, data and the end. */
    reply: (id: string) => `${prefix}:reply:${id}`,
    /** A terminal's input (stdin, resize, close) and output (stdout, exit): streams. */
    shellInput: (id: string) => `${prefix}:shell:${id}:in`,
    shellOutput: (id: string) => `${prefix}:shell:${id}:out`,
    /** A snapshot's record (a hash of plain fields). */
    snapshot: (id: string) => `${prefix}:snapshot:${id}`,
    /** One key's snapshots: a ledger of "<id> <bytes>" scored by expiry (output-ledger.ts), and its total. */
    snapshots: (owner: string) => `${prefix}:snapshots:key:${owner}`,
    snapshotBytes: (owner: string) => `${prefix}:snapshots:key:${owner}:bytes`,
    /** A reader of many streams (stream-follower.ts) is woken through this stream when one is added to its read. */
    followerWake: (reader: string) => `${prefix}:wake:${reader}`,
    /** A problem: a hash of its record (JSON), its bundle's hash and its owner. */
    problem: (id: string) => `${prefix}:problem:${id}`,
    /** A problem bundle, by its SHA-256: a string. */
    problemBlob: (hash: string) => `${prefix}:problemblob:${hash}`,
    /** The problems whose bundle it is: a set of ids. */
    problemBlobRefs: (hash: string) => `${prefix}:problemblob:${hash}:refs`,
    /** A bundle being uploaded, until it is stored under its hash. */
    problemUpload: (token: string) => `${prefix}:problemupload:${token}`,
    /** Problem bytes stored, per uploading key (`owner`) or for all: a hash of id -> bytes, and `*` -> their total. */
    problemUsage: (owner?: string) => (owner === undefined ? `${prefix}:problems:all` : `${prefix}:problems:key:${owner}`),
  };
}
export type Keys = ReturnType<typeof createKeys>;
