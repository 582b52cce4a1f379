// Where a process with an HTTP port listens. Without API keys anyone who reaches the port
// could run code or read metrics, so then only loopback is served, whatever HOST says.
import type { Config } from '../config/config.js';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function listenHost(config: Pick<Config, 'host' | 'apiKeys'>, log: { warn(obj: object, msg: string): void }): string {
  const host = config.apiKeys.length === 0 && !LOOPBACK.test(config.host) ? '127.0.0.1' : config.host;
  if (config.apiKeys.length === 0) {
    log.warn({ requestedHost: config.host, host }, 'no API_KEYS configured: no authentication, serving on loopback only');
  }
  return host;
}
