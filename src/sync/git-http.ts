// The HTTP client isomorphic-git talks through (its `HttpClient` plugin contract:
// GitHttpRequest -> GitHttpResponse with async-iterator bodies). isomorphic-git's own Node
// client has no timeout at all, so a server that accepts the connection and then says
// nothing would hang a fetch, and with it the reconcile loop, forever. This one bounds
// every phase: connecting, waiting for the response headers, and every gap between two
// body chunks (an idle timer), plus an optional signal for the overall deadline of one git
// operation. It follows redirects only within the same origin, so a token sent as a Basic
// Authorization header never travels to another host.
import http from 'node:http';
import https from 'node:https';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

export interface GitHttpClientOptions {
  /** Longest wait for a connection, for the response headers, and between two body chunks. */
  timeoutMs: number;
  /** Aborts every request made through this client (an operation's overall deadline). */
  signal?: AbortSignal;
  /** Same-origin redirects followed per request (default 5). */
  maxRedirects?: number;
  /** Connection pooling; Node's global agent (keep-alive since Node 19) by default. */
  agent?: http.Agent;
}

/** A failure of the transport itself; `code` is what the Git source classifies on. */
export class GitHttpClientError extends Error {
  constructor(message: string, readonly code: 'ETIMEDOUT' | 'ABORT_ERR' | 'GIT_HTTP_REDIRECT') {
    super(message);
    this.name = 'GitHttpClientError';
  }
}

export function createGitHttpClient(options: GitHttpClientOptions): HttpClient {
  return { request: (req) => send(req, options) };
}

async function send(req: GitHttpRequest, options: GitHttpClientOptions): Promise<GitHttpResponse> {
  const method = (req.method ?? 'GET').toUpperCase();
  // Bodies of upload-pack requests are small (wants and haves); buffering them lets a
  // redirect re-send the body and lets us send a Content-Length.
  const body = req.body === undefined ? undefined : await collectBody(req.body);
  const headers: Record<string, string> = { 'user-agent': 'git/flotilla', ...(req.headers ?? {}) };
  if (body) headers['content-length'] = String(body.length);
  const first = new URL(req.url);
  let url = first;
  for (let hop = 0; ; hop++) {
    const { res, life } = await open(url, method, headers, body, options);
    const status = res.statusCode ?? 0;
    const location = status >= 300 && status < 400 ? res.headers.location : undefined;
    if (location === undefined) {
      return {
        url: url.toString(),
        method,
        statusCode: status,
        statusMessage: res.statusMessage ?? '',
        headers: flattenHeaders(res.headers),
        body: bodyOf(res, life),
      };
    }
    life.done();
    res.resume();
    const next = new URL(location, url);
    const bodyKept = method === 'GET' || method === 'HEAD' || status === 307 || status === 308;
    if (next.origin !== first.origin || !bodyKept || hop >= (options.maxRedirects ?? 5)) {
      throw new GitHttpClientError(
        next.origin !== first.origin
          ? `redirected from ${first.host} to ${next.host}; not followed so that credentials stay with ${first.host} (use the final URL as --repo)`
          : `too many or unsupported redirects at ${first.host}`,
        'GIT_HTTP_REDIRECT',
      );
    }
    url = next;
  }
}

/** The idle timer and abort wiring of one request; `done()` releases both. */
interface Lifecycle {
  touch(): void;
  done(): void;
}

function open(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  options: GitHttpClientOptions,
): Promise<{ res: http.IncomingMessage; life: Lifecycle }> {
  return new Promise((resolve, reject) => {
    const signal = options.signal;
    if (signal?.aborted) {
      reject(abortError(signal, url));
      return;
    }
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!mod) {
      reject(new Error(`unsupported protocol ${url.protocol}`));
      return;
    }
    const req = mod.request(url, { method, headers, ...(options.agent ? { agent: options.agent } : {}) });
    let res: http.IncomingMessage | undefined;
    let timer: NodeJS.Timeout | undefined;
    const kill = (err: Error): void => {
      req.destroy(err);
      res?.destroy(err);
    };
    const onAbort = (): void => kill(abortError(signal, url));
    const life: Lifecycle = {
      // A plain (ref'd) timer: it must fire even when the socket is the only thing left.
      touch() {
        clearTimeout(timer);
        timer = setTimeout(() => kill(new GitHttpClientError(`no answer from ${url.host} within ${options.timeoutMs} ms`, 'ETIMEDOUT')), options.timeoutMs);
      },
      done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    life.touch();
    req.on('error', (err) => {
      life.done();
      reject(err);
    });
    req.on('response', (response) => {
      res = response;
      life.touch();
      resolve({ res: response, life });
    });
    req.end(body);
  });
}

async function* bodyOf(res: http.IncomingMessage, life: Lifecycle): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res) {
      life.touch();
      yield chunk as Uint8Array;
    }
  } finally {
    life.done();
    // Stopped early by the consumer: free the socket rather than leave it half-read.
    if (!res.complete) res.destroy();
  }
}

function abortError(signal: AbortSignal | undefined, url: URL): GitHttpClientError {
  const reason = signal?.reason instanceof Error ? signal.reason.message : 'aborted';
  return new GitHttpClientError(`request to ${url.host} aborted: ${reason}`, 'ABORT_ERR');
}

async function collectBody(body: unknown): Promise<Buffer> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  // isomorphic-git passes an array of buffers despite its AsyncIterableIterator type;
  // `for await` takes sync and async iterables alike.
  const parts: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array> | Iterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
