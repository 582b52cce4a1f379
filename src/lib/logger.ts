// The one pino logger of a process. Credentials and client code never reach the logs: the
// Authorization header is redacted, an access_token in a URL is masked, bodies are never logged.
import pino, { type DestinationStream, type Logger } from 'pino';

/** Masks the value of access_token in a logged URL. */
export const maskToken = (url: string) => url.replace(/([?&]access_token=)[^&]*/gi, '$1[redacted]');

/** `destination`: where the lines go (default stdout). */
export function createLogger(level: string, name: string, destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      redact: {
        // For objects logged by hand ({ body }, { request }, { headers }); the req serializer
        // below keeps no headers and no body at all.
        paths: ['*.headers.authorization', '*.headers.cookie', '*.authorization', '*.source', '*.files', '*.stdin', '*.env'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method?: string; url?: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
          method: req.method,
          url: req.url === undefined ? undefined : maskToken(req.url),
          host: req.hostname,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
    },
    destination,
  );
}
