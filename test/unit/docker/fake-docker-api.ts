// A scripted Docker Engine API on a unix socket, for testing DockerodeNode's requests and
// error handling without a daemon. Each route answers with a status and a JSON body, a raw
// stream, or never (to test timeouts). Every request is recorded with its body.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  contentType: string | undefined;
}

export type Reply =
  | { status: number; json?: unknown }
  | { status: number; lines: string[] }
  | { hang: true }
  | { drop: true }
  | { status: number; stallBody: true };

export type Route = (req: RecordedRequest) => Reply | undefined;

export interface FakeDockerApi {
  socketPath: string;
  endpoint: string;
  requests: RecordedRequest[];
  /** Routes are tried newest first; the first that returns a reply answers. */
  on(method: string, path: string | RegExp, reply: Reply | ((req: RecordedRequest) => Reply)): void;
  close(): Promise<void>;
}

export async function startFakeDockerApi(): Promise<FakeDockerApi> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: RecordedRequest[] = [];
  const routes: Route[] = [];
  const open = new Set<ServerResponse>();

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://docker');
    // Strip an API version prefix like /v1.41.
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path, query: url.searchParams, body, contentType: req.headers['content-type'] };
    requests.push(recorded);
    const reply = routes.map((r) => r(recorded)).find((r) => r !== undefined) ?? { status: 404, json: { message: `page not found: ${path}` } };
    if ('drop' in reply) {
      req.socket.destroy();
      return;
    }
    if ('hang' in reply) {
      open.add(res);
      return;
    }
    if ('stallBody' in reply) {
      open.add(res);
      res.writeHead(reply.status, { 'Content-Type': 'application/json' });
      res.write('[');
      return;
    }
    if ('lines' in reply) {
      res.writeHead(reply.status, { 'Content-Type': 'application/json' });
      for (const line of reply.lines) res.write(`${line}\r\n`);
      res.end();
      return;
    }
    if (reply.json === undefined) {
      res.writeHead(reply.status);
      res.end();
      return;
    }
    res.writeHead(reply.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply.json));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  return {
    socketPath,
    endpoint: `unix://${socketPath}`,
    requests,
    on(method, path, reply) {
      routes.unshift((req) => {
        if (req.method !== method) return undefined;
        if (typeof path === 'string' ? req.path !== path : !path.test(req.path)) return undefined;
        return typeof reply === 'function' ? reply(req) : reply;
      });
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
