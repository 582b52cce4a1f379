// Sends a finished run's record to its webhook, signed, to an address checked against the
// private ranges at connect time (the checked address is the one used, so a DNS answer
// that changes between check and connect cannot redirect it).
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { isPrivateAddress } from '../lib/address-policy.js';
import { checkWebhookUrl, type WebhookTarget } from '../lib/webhook-target.js';
import { SIGNATURE_HEADER, signBody } from '../lib/signature.js';

export interface WebhookOptions {
  secret: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

export class WebhookError extends Error {
  override name = 'WebhookError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** The address to connect to: the literal (checkWebhookUrl checked it), or the first the name resolves to, once every one is checked. */
async function resolveAllowed({ url, host, literal }: WebhookTarget, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  if (literal) return { address: host, family: isIP(host) };
  const addresses = await lookup(host, { all: true });
  if (addresses.length === 0) throw new WebhookError(`${url.hostname} has no address`, true);
  if (!allowPrivate) {
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused)
      throw new WebhookError(`${url.hostname} resolves to ${refused.address}, a private address (WEBHOOK_ALLOW_PRIVATE is off)`, false);
  }
  return addresses[0];
}

/**
 * One try, bounded as a whole (DNS, connect, answer) by options.timeoutMs. POST for runbox's
 * webhooks; PUT for a Judge0 submission's callback_url, as Judge0 sends it.
 */
export async function deliverWebhook(
  url: string,
  body: string,
  runId: string,
  options: WebhookOptions,
  method: 'POST' | 'PUT' = 'POST',
): Promise<number> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const checked = checkWebhookUrl(url, options.allowPrivate);
  if ('problem' in checked) throw new WebhookError(checked.problem, false);
  const target = checked.url;
  const { address, family } = await Promise.race([
    resolveAllowed(checked, options.allowPrivate),
    new Promise<never>((_, reject) =>
      signal.addEventListener('abort', () =>
        reject(new WebhookError(`resolving ${target.hostname} took over ${options.timeoutMs} ms`, true)),
      ),
    ),
  ]);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method,
    timeout: options.timeoutMs,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'user-agent': 'runbox-webhook',
      'x-runbox-run-id': runId,
      [SIGNATURE_HEADER]: signBody(options.secret, body),
    },
    lookup: (_host, _opts, callback) => callback(null, address, family),
    signal,
  };
  return new Promise((resolve, reject) => {
    const req = send(target, requestOptions, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve(status);
      else reject(new WebhookError(`webhook answered ${status}`, status >= 500 || status === 429 || status === 408));
    });
    req.on('timeout', () => req.destroy(new WebhookError(`webhook did not answer within ${options.timeoutMs} ms`, true)));
    req.on('error', (error) => {
      if (signal.aborted) reject(new WebhookError(`webhook did not answer within ${options.timeoutMs} ms`, true));
      else reject(error instanceof WebhookError ? error : new WebhookError(error.message, true));
    });
    req.end(body);
  });
}
