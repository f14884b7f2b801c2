// One JSON request to a forge's REST API (GitHub, Gitea, GitLab), on node:http(s) so it is
// bounded by a timeout, abortable, and interceptable by nock in tests. Failures are
// DeliveryErrors that say whether retrying can help; messages name the method, origin and
// path, never the token (it travels in a header only).
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DeliveryError } from '../notify/provider.js';
import { expectSuccess } from '../notify/http.js';

export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT';
  url: string;
  headers: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ApiResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: unknown;
}

/** A page of 100 comments of 65 KB each is 6.5 MB; anything much larger is not an API answer. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export const FORGE_USER_AGENT = 'flotilla/1';

export function callApi(call: ApiCall): Promise<ApiResult> {
  let url: URL;
  try {
    url = new URL(call.url);
  } catch {
    return Promise.reject(new DeliveryError(`invalid API URL for ${call.method}`, false));
  }
  const what = `${call.method} ${url.protocol}//${url.host}${url.pathname}`;
  const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
  if (!send) return Promise.reject(new DeliveryError(`${what}: unsupported URL scheme (use https:// or http://)`, false));
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body), 'utf8');
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: call.method,
      headers: {
        accept: 'application/json',
        'user-agent': FORGE_USER_AGENT,
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...call.headers,
      },
      timeout: call.timeoutMs,
      ...(call.signal ? { signal: call.signal } : {}),
    });
    req.on('timeout', () => req.destroy(new DeliveryError(`${what}: no answer within ${call.timeoutMs} ms`, true)));
    req.on('error', (err) => {
      if (err instanceof DeliveryError) return reject(err);
      if (err.name === 'AbortError') return reject(new DeliveryError(`${what}: cancelled`, false));
      reject(new DeliveryError(`${what}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, true));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) return void req.destroy(new DeliveryError(`${what}: answer larger than ${MAX_RESPONSE_BYTES} bytes`, false));
        chunks.push(chunk);
      });
      res.on('error', (err) => reject(new DeliveryError(`${what}: answer broke off: ${err.message}`, true)));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          expectSuccess({ status, headers: res.headers, body: text }, what);
        } catch (err) {
          return reject(err);
        }
        resolve({ status, headers: res.headers, body: parseJson(text) });
      });
    });
    req.end(payload);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The rel="next" URL of a Link header (GitHub and Gitea paginate this way). */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!value) return undefined;
  for (const part of value.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return m[1];
  }
  return undefined;
}
