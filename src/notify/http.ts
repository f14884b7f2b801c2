// One HTTP POST for notification providers, on node:http(s) so that it is bounded by a
// timeout, abortable, and interceptable by nock in tests. Errors name only the origin of
// the URL: Slack and many webhook URLs carry their secret token in the path or query.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError } from './provider.js';

export interface PostResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Longest response body kept: enough for an error message, never a whole page. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export const USER_AGENT = 'flotilla-notifier/1';

/** The origin of a URL, fit for logs and error messages. */
export function safeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid URL)';
  }
}

export function post(options: PostOptions): Promise<PostResult> {
  const target = safeTarget(options.url);
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      reject(new DeliveryError(`invalid URL for ${target}`, false));
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) {
      reject(new DeliveryError(`unsupported URL scheme ${url.protocol} (use https:// or http://)`, false));
      return;
    }
    const payload = Buffer.from(options.body, 'utf8');
    const req = send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, 'content-length': String(payload.length), ...options.headers },
      timeout: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    req.on('timeout', () => req.destroy(new DeliveryError(`${target} did not answer within ${options.timeoutMs} ms`, true)));
    req.on('error', (err) => {
      if (err instanceof DeliveryError) return reject(err);
      const code = (err as NodeJS.ErrnoException).code;
      // An aborted request is the daemon giving up (shutdown), not the receiver failing.
      if (err.name === 'AbortError') {
        const reason: unknown = options.signal?.reason;
        const timedOut = reason instanceof Error && reason.name === 'TimeoutError';
        return reject(timedOut ? new DeliveryError(`${target} did not answer within ${options.timeoutMs} ms`, true) : new DeliveryError(`delivery to ${target} was cancelled`, false));
      }
      reject(new DeliveryError(`cannot reach ${target}: ${code ?? err.message}`, true));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', (err) => reject(new DeliveryError(`${target}: response broke off: ${err.message}`, true)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BYTES) }));
    });
    req.end(payload);
  });
}

/** Throws a DeliveryError for anything but 2xx, retryable for 408, 425, 429 and 5xx. */
export function expectSuccess(result: PostResult, target: string): void {
  if (result.status >= 200 && result.status < 300) return;
  const retryable = result.status === 408 || result.status === 425 || result.status === 429 || result.status >= 500;
  const detail = result.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  throw new DeliveryError(`${target} answered ${result.status}${detail ? `: ${detail}` : ''}`, retryable, result.status, retryAfterMs(result.headers['retry-after']));
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
