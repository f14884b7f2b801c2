// A scripted Docker Engine API on a unix socket (or tcp, plain or TLS), for testing
// EngineNode's requests and error handling without a daemon. Each route answers with a status
// and a JSON or text body, a raw stream, or never (to test timeouts). Every request is
// recorded with its raw URL, its body and the connection it came on (to see keep-alive reuse).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  /** As sent, query string included. */
  url: string;
  path: string;
  query: URLSearchParams;
  body: string;
  contentType: string | undefined;
  /** The X-Registry-Auth header, when sent. */
  registryAuth?: string;
  /** Which connection the request came on, numbered from 1 in order of arrival. */
  connection: number;
  /** TLS only: the CN of the client certificate, if one was presented. */
  clientCertCn?: string;
}

export type Reply =
  | { status: number; json?: unknown }
  | { status: number; text: string }
  | { status: number; lines: string[] }
  | { hang: true }
  | { drop: true }
  | { status: number; stallBody: true };

export type Route = (req: RecordedRequest) => Reply | undefined;

export interface FakeDockerApi {
  /** Unix only; '' when listening on tcp. */
  socketPath: string;
  endpoint: string;
  requests: RecordedRequest[];
  /** Connections open right now. */
  openConnections(): number;
  /** Routes are tried newest first; the first that returns a reply answers. */
  on(method: string, path: string | RegExp, reply: Reply | ((req: RecordedRequest) => Reply)): void;
  close(): Promise<void>;
}

/** Where to listen: a unix socket (default), plain tcp, or TLS on tcp with a required client certificate. */
export type Listen = { on: 'unix' } | { on: 'tcp' } | { on: 'tls'; key: Buffer; cert: Buffer; ca: Buffer };

export async function startFakeDockerApi(listen: Listen = { on: 'unix' }): Promise<FakeDockerApi> {
  const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
  const requests: RecordedRequest[] = [];
  const routes: Route[] = [];
  const open = new Set<ServerResponse>();
  const connectionIds = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://docker');
    // Strip an API version prefix like /v1.41.
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET', url: req.url ?? '', path, query: url.searchParams, body, contentType: req.headers['content-type'], connection: connectionIds.get(req.socket) ?? 0,
    };
    const registryAuth = req.headers['x-registry-auth'];
    if (typeof registryAuth === 'string') recorded.registryAuth = registryAuth;
    if (req.socket instanceof TLSSocket) {
      const cn = req.socket.getPeerCertificate().subject?.CN;
      if (typeof cn === 'string') recorded.clientCertCn = cn;
    }
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
    if ('text' in reply) {
      res.writeHead(reply.status, { 'Content-Type': 'text/plain' });
      res.end(reply.text);
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

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  };
  const server: Server = listen.on === 'tls'
    ? createTlsServer({ key: listen.key, cert: listen.cert, ca: listen.ca, requestCert: true, rejectUnauthorized: true }, onRequest)
    : createServer(onRequest);
  // TLS servers hand requests a TLSSocket; 'connection' would see the raw socket underneath.
  let connections = 0;
  server.on(listen.on === 'tls' ? 'secureConnection' : 'connection', (socket: Socket) => {
    connectionIds.set(socket, ++connections);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const socketPath = listen.on === 'unix' ? join(dir, 'docker.sock') : '';
  if (listen.on === 'unix') await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  else await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = listen.on === 'unix' ? `unix://${socketPath}` : `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    socketPath,
    endpoint,
    requests,
    openConnections: () => sockets.size,
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
