// An in-memory Docker Engine on a unix socket: the subset of the Engine API Flotilla uses
// (ping, info, container list/create/start/stop/remove/rename/inspect, image inspect and
// pull, network and volume create, network connect), with state, so that a daemon can
// manage thousands of containers without a real engine. Containers "run" at once and have
// no processes; everything else about them (names, labels, ports, 409 on a taken name) is
// as Docker 20.10 answers. For load and memory benchmarks of the daemon, not for behaviour
// tests: those run on the real fleet.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

interface FakeContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: 'created' | 'running' | 'exited';
  /** Whether the create body had a healthcheck: such containers report healthy once running. */
  checked: boolean;
  created: number;
  ports: Array<{ PrivatePort: number; PublicPort: number; Type: string; IP: string }>;
}

export interface FakeEngine {
  readonly name: string;
  readonly socketPath: string;
  readonly endpoint: string;
  /** Requests served, by "METHOD /route" (ids replaced by {id}). */
  readonly requests: Map<string, number>;
  containerCount(): number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startFakeEngine(name: string, dir?: string): Promise<FakeEngine> {
  const home = dir ?? mkdtempSync('/tmp/flotilla-fake-engine-');
  const socketPath = join(home, `${name}.sock`);
  const containers = new Map<string, FakeContainer>();
  const byName = new Map<string, string>();
  const networks = new Set<string>(['bridge', 'host', 'none']);
  const requests = new Map<string, number>();

  const find = (ref: string): FakeContainer | undefined => containers.get(ref) ?? containers.get(byName.get(ref) ?? '') ?? [...containers.values()].find((c) => c.id.startsWith(ref));

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    const method = req.method ?? 'GET';
    const route = path.replace(/^\/containers\/(?!json$|create$)[^/]+/, '/containers/{id}').replace(/^\/images\/.+\/json$/, '/images/{name}/json').replace(/^\/networks\/(?!create$)[^/]+/, '/networks/{id}');
    const key = `${method} ${route}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    const idRef = decodeURIComponent(path.split('/')[2] ?? '');
    switch (key) {
      case 'GET /_ping':
        res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
        return;
      case 'GET /info':
        return send(res, 200, { Name: name, ID: name, NCPU: 64, MemTotal: 256 * 2 ** 30, ServerVersion: '20.10.24-fake' });
      case 'GET /containers/json':
        return send(res, 200, [...containers.values()].map((c) => ({
          Id: c.id, Names: [`/${c.name}`], Image: c.image, Labels: c.labels, State: c.state, Created: c.created,
          Status: c.state === 'running' ? `Up 1 minute${c.checked ? ' (healthy)' : ''}` : 'Exited (0) 1 minute ago', Ports: c.state === 'running' ? c.ports : [],
        })));
      case 'POST /containers/create': {
        const cname = url.searchParams.get('name') ?? '';
        if (byName.has(cname)) return send(res, 409, { message: `Conflict. The container name "/${cname}" is already in use by container "${byName.get(cname)}".` });
        const id = randomBytes(32).toString('hex');
        const bindings = ((body.HostConfig as Record<string, unknown> | undefined)?.PortBindings ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }>>;
        const ports = Object.entries(bindings).flatMap(([k, bs]) => bs.map((b) => ({ PrivatePort: Number(k.split('/')[0]), PublicPort: Number(b.HostPort), Type: k.split('/')[1] ?? 'tcp', IP: '0.0.0.0' })));
        const test = (body.Healthcheck as { Test?: string[] } | undefined)?.Test;
        const checked = test !== undefined && test[0] !== 'NONE';
        containers.set(id, { id, name: cname, image: String(body.Image), labels: (body.Labels ?? {}) as Record<string, string>, state: 'created', checked, created: Math.floor(Date.now() / 1000), ports });
        byName.set(cname, id);
        return send(res, 201, { Id: id, Warnings: [] });
      }
      case 'POST /containers/{id}/start':
      case 'POST /containers/{id}/stop':
      case 'POST /containers/{id}/rename':
      case 'DELETE /containers/{id}':
      case 'GET /containers/{id}/json': {
        const c = find(idRef);
        if (!c) return send(res, 404, { message: `No such container: ${idRef}` });
        if (key.endsWith('/start')) {
          if (c.state === 'running') return send(res, 304);
          c.state = 'running';
          return send(res, 204);
        }
        if (key.endsWith('/stop')) {
          if (c.state !== 'running') return send(res, 304);
          c.state = 'exited';
          return send(res, 204);
        }
        if (key.endsWith('/rename')) {
          const to = url.searchParams.get('name') ?? '';
          if (byName.has(to)) return send(res, 409, { message: `Conflict. The container name "/${to}" is already in use` });
          byName.delete(c.name);
          c.name = to;
          byName.set(to, c.id);
          return send(res, 204);
        }
        if (method === 'DELETE') {
          containers.delete(c.id);
          byName.delete(c.name);
          return send(res, 204);
        }
        const health = c.checked && c.state === 'running' ? { Health: { Status: 'healthy' } } : {};
        return send(res, 200, { Id: c.id, Name: `/${c.name}`, RestartCount: 0, State: { Status: c.state, Running: c.state === 'running', ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), ...health } });
      }
      case 'GET /images/{name}/json':
        return send(res, 200, { Id: 'sha256:fake' });
      case 'POST /images/create':
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"Downloaded newer image"}\r\n');
        return;
      case 'POST /networks/create': {
        const n = String(body.Name);
        if (networks.has(n)) return send(res, 409, { message: `network with name ${n} already exists` });
        networks.add(n);
        return send(res, 201, { Id: n, Warning: '' });
      }
      case 'POST /networks/{id}/connect':
        return send(res, 200);
      case 'POST /volumes/create':
        return send(res, 201, { Name: body.Name, Driver: 'local' });
      default:
        return send(res, 404, { message: `page not found: ${method} ${path}` });
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (err) {
        send(res, 500, { message: (err as Error).message });
      }
    });
  });
  // dockerd never closes an idle keep-alive connection; Node's server does after 5 s, and a
  // client that reuses the socket at that moment gets EPIPE. With 100 fake nodes mostly idle
  // between calls that happened every cycle, so the fake keeps idle connections as Docker does.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    name,
    socketPath,
    endpoint: `unix://${socketPath}`,
    requests,
    containerCount: () => containers.size,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!dir) rmSync(home, { recursive: true, force: true });
    },
  };
}
