// Binds the router to a real port: reads bodies with a size cap (413 past it, and the
// connection closed), bounds how long a client may take to send a request, and turns
// exceptions into 500s that are logged rather than crashing the daemon.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Logger } from '../log.js';
import type { Handler, HttpRequest } from './http-types.js';

export const MAX_BODY_BYTES = 1024 * 1024;

export interface ListeningServer {
  server: Server;
  address: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** A client must send its whole header block within this (slow-loris senders are cut off). */
  headersTimeoutMs?: number;
  /** A client must send its whole request, body included, within this. */
  requestTimeoutMs?: number;
}

export async function listen(handler: Handler, listenAddress: string, log: Logger, options: ListenOptions = {}): Promise<ListeningServer> {
  const { host, port } = parseListen(listenAddress);
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const server = createServer({
    // Node checks the header and request timeouts only this often (30 s by default), so a
    // slow-loris sender would live up to that long past its timeout.
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
  }, (req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        if (body === 'too-large') {
          // Answer, then hang up: reading the rest of an oversized body would let a client
          // keep the daemon busy with as many bytes as it likes.
          // The socket is taken now: once the response is done, Node detaches it from req.
          const socket = req.socket;
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: `body over ${MAX_BODY_BYTES} bytes` }) + '\n', () => socket?.destroy());
          return;
        }
        const url = new URL(req.url ?? '/', 'http://localhost');
        const request: HttpRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: headersOf(req), body };
        const response = await handler(request);
        res.writeHead(response.status, response.headers ?? {}).end(response.body ?? '');
      } catch (err) {
        log.error({ err, path: req.url }, 'HTTP handler failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal error' }) + '\n');
      }
    })();
  });
  server.headersTimeout = headersTimeout;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const address = typeof addr === 'object' && addr ? `${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}` : listenAddress;
  return {
    server,
    address,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (!match) throw new Error(`--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:9797`);
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port: Number(match[3]) };
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(req.headers)) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) return Promise.resolve('too-large');
  // Listeners rather than for-await: leaving a for-await early destroys the request and with
  // it the socket, and the 413 would never reach the client. Paused past the limit, the rest
  // is never read; the caller answers and then closes the connection.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.pause();
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
