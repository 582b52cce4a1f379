// The one pino logger of a process. Credentials and client code never reach the logs.
import pino, { type Logger } from 'pino';

export function createLogger(level: string, name: string): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.source', '*.files', '*.stdin', '*.env'],
      censor: '[redacted]',
    },
  });
}
