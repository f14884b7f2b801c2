// Binds the router to a real port: reads bodies with a size cap (413 past it), turns
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

export async function listen(handler: Handler, listenAddress: string, log: Logger): Promise<ListeningServer> {
  const { host, port } = parseListen(listenAddress);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        if (body === 'too-large') {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ error: `body over ${MAX_BODY_BYTES} bytes` }) + '\n');
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
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
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

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return 'too-large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      return 'too-large';
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
