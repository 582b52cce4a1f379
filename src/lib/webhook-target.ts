// Where a webhook may go, checked alike by the API when a run is submitted and by the
// worker before it connects: an http(s) URL whose host is neither a private address
// literal nor a localhost name. The worker also checks every address a name resolves to.
import { isIP } from 'node:net';
import { isPrivateAddress } from './address-policy.js';

export interface WebhookTarget {
  url: URL;
  /** The host, an IPv6 literal without its brackets. */
  host: string;
  /** The host is an IP address: nothing to resolve. */
  literal: boolean;
}

const isLocalName = (host: string) => host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost');

/** The target, or why it is refused (`allowPrivate`: WEBHOOK_ALLOW_PRIVATE). */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): WebhookTarget | { problem: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'webhook is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: `webhook must be an http or https URL, not ${url.protocol}` };
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host) !== 0;
  if (!allowPrivate && (literal ? isPrivateAddress(host) : isLocalName(host)))
    return { problem: `webhook host ${url.hostname} is a private address` };
  return { url, host, literal };
}
