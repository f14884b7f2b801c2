// Docker Engine API requests over Node's own node:http / node:https, for unix:// and tcp://
// nodes (plain or TLS). This is the transport almost every node uses, so it stays small: it
// loads nothing beyond Node itself, where dockerode would bring ssh2 and a 16 MB WebAssembly
// heap into every daemon. Errors take the shape errors.ts already reads (docker-modem's), so
// a node is classified the same whichever transport it talks through.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { stringify } from 'node:querystring';
import type { NodeConnection } from './endpoint.js';
import type { EngineRequest, EngineTransport } from './engine-transport.js';

// As Node's global agent, which requests went through before: connections are reused
// (so a daemon that dropped one shows as ECONNRESET on reuse, which the caller retries for
// reads), the most recent first, and an idle one is closed after a few seconds rather than
// left to go stale. The idle timeout never cuts a request that is waiting for an answer.
const AGENT_OPTIONS = { keepAlive: true, timeout: 5_000, scheduling: 'lifo' } as const;

/** A status outside the request's `ok` list; `statusCode` and `json` are what errors.ts reads. */
export class EngineStatusError extends Error {
  constructor(
    readonly statusCode: number,
    /** Docker's answer: the decoded JSON, else the body's text ('' for none). */
    readonly json: unknown,
  ) {
    // The "(HTTP code N) ... - " prefix is docker-modem's, which dockerMessageOf strips.
    super(`(HTTP code ${statusCode}) unexpected - ${messageOf(json) || 'the response had no body'}`);
    this.name = 'EngineStatusError';
  }
}

export class HttpTransport implements EngineTransport {
  private readonly agent: HttpAgent;
  private readonly target: Pick<RequestOptions, 'socketPath' | 'host' | 'port'>;
  private readonly send: typeof httpRequest;

  constructor(connection: NodeConnection) {
    const { socketPath, host, port } = connection.docker;
    if (connection.kind === 'unix' && socketPath !== undefined) {
      this.target = { socketPath };
    } else if (connection.kind === 'tcp' && host !== undefined && port !== undefined) {
      this.target = { host, port: Number(port) };
    } else {
      throw new Error(`${connection.endpoint}: node:http speaks to unix:// and tcp:// endpoints only`);
    }
    const { secureContext } = connection;
    // The TLS context sits on the agent, so every connection it opens presents and checks it.
    this.agent = secureContext ? new HttpsAgent({ ...AGENT_OPTIONS, secureContext }) : new HttpAgent(AGENT_OPTIONS);
    this.send = secureContext ? httpsRequest : httpRequest;
  }

  request(request: EngineRequest, signal: AbortSignal, isStream: boolean): Promise<unknown> {
    const payload = request.raw ? request.raw.bytes : request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: OutgoingHttpHeaders = {};
    if (payload !== undefined) {
      headers['Content-Type'] = request.raw ? request.raw.contentType : 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    if (request.registryAuth !== undefined) headers['X-Registry-Auth'] = request.registryAuth;
    const options: RequestOptions = { ...this.target, agent: this.agent, method: request.method, path: pathOf(request), headers };

    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      let req: ClientRequest;
      let res: IncomingMessage | undefined;
      // Handled here rather than with http.request's `signal` option so that an abort also
      // covers a non-streamed body, and so the listener goes as soon as the call is over.
      const onAbort = (): void => {
        const err = abortError(signal);
        res?.destroy(err);
        req.destroy(err);
        fail(err);
      };
      const release = (): void => signal.removeEventListener('abort', onAbort);
      const fail = (err: unknown): void => {
        release();
        reject(err);
      };
      try {
        req = this.send(options);
      } catch (err) {
        // A path node:http refuses (unescaped characters) throws instead of emitting.
        reject(err);
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.on('response', (response) => {
        res = response;
        const status = response.statusCode ?? 0;
        const accepted = request.ok.includes(status);
        if (accepted && isStream) {
          release();
          resolve(response);
          return;
        }
        // A refused status is read whole even for a stream request: its body is Docker's message.
        readBody(response, accepted ? MAX_ANSWER_BYTES : MAX_ERROR_BYTES, !accepted).then((body) => {
          release();
          if (accepted) resolve(decode(body));
          else reject(new EngineStatusError(status, decodeError(body)));
        }, fail);
      });
      req.end(payload);
    });
  }
}

/** The path and query exactly as docker-modem built them (querystring encoding). */
function pathOf(request: EngineRequest): string {
  const query = request.query !== undefined && Object.keys(request.query).length > 0 ? stringify(request.query) : '';
  return query === '' ? request.path : `${request.path}?${query}`;
}

/**
 * An answer the daemon is trusted to keep reasonable (a list of a few thousand containers is
 * a few MiB); past it the engine or something in front of it is misbehaving.
 */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
/** Docker's error messages are one line; only the start of a longer error page is kept. */
const MAX_ERROR_BYTES = 64 * 1024;

/** The body up to `limit` bytes; past it, cut short (`truncate`) or refused. */
function readBody(res: IncomingMessage, limit: number, truncate: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      chunks.push(chunk);
      if (size <= limit) return;
      done = true;
      res.destroy();
      if (truncate) resolve(Buffer.concat(chunks).subarray(0, limit));
      else reject(Object.assign(new Error(`the answer is over ${limit} bytes`), { code: 'EANSWERTOOLARGE' }));
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', (err) => {
      if (!done) reject(err);
    });
    // A connection that closes mid-body: keep the errno the caller classifies and retries on.
    res.on('close', () => {
      if (!done && !res.complete) reject(Object.assign(new Error('the connection closed before the response ended'), { code: 'ECONNRESET' }));
    });
  });
}

/** JSON when it parses (whatever the Content-Type says), the text otherwise, undefined for none. */
function decode(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An error page can be long; what a person reads in a status line is its start. */
const MAX_ERROR_TEXT = 500;

function decodeError(body: Buffer): unknown {
  const decoded = decode(body);
  if (typeof decoded !== 'string') return decoded ?? '';
  const text = decoded.trim();
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}... (${body.length} bytes)` : text;
}

function messageOf(json: unknown): string {
  if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') return json.message.trim();
  return typeof json === 'string' ? json : JSON.stringify(json);
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('the request was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return Object.assign(err, { code: 'ABORT_ERR' });
}
