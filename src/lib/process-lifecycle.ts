// Signals and fatal errors of an entry point: the first SIGTERM/SIGINT drains and exits 0,
// a second one forces; an uncaught error is logged and the process exits non-zero so its
// supervisor restarts it.
import type { Logger } from 'pino';

export function handleProcessLifecycle(log: Logger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    shutdown().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const fatal = (error: unknown) => {
    log.fatal({ err: error }, 'uncaught error; exiting');
    process.exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
