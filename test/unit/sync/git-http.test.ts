import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import git from 'isomorphic-git';
import { createGitHttpClient } from '../../../src/sync/git-http.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: { server: Server; sockets: Set<Socket> }[] = [];
after(async () => {
  for (const { server, sockets } of servers) {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

async function serve(handler: Handler): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push({ server, sockets });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function drain(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of body ?? []) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts).toString('utf8');
}

async function elapsed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const start = Date.now();
  const [result] = await Promise.allSettled([fn()]);
  return { ms: Date.now() - start, result: result as PromiseSettledResult<T> };
}

test('a server that accepts the connection and never answers times out within the bound', async () => {
  const base = await serve(() => undefined); // reads the request, never responds
  const client = createGitHttpClient({ timeoutMs: 300 });
  const { ms, result } = await elapsed(() => client.request({ url: `${base}/repo.git/info/refs?service=git-upload-pack` }));
  assert.equal(result.status, 'rejected');
  assert.equal((result as PromiseRejectedResult).reason.code, 'ETIMEDOUT');
  assert.match((result as PromiseRejectedResult).reason.message, /within 300 ms/);
  assert.ok(ms >= 250 && ms < 3000, `took ${ms} ms`);
});

test('a body that stops mid-way times out on the idle timer', async () => {
  const base = await serve((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write('first chunk');
  });
  const client = createGitHttpClient({ timeoutMs: 300 });
  const res = await client.request({ url: `${base}/x` });
  assert.equal(res.statusCode, 200);
  const { ms, result } = await elapsed(() => drain(res.body));
  assert.equal(result.status, 'rejected');
  assert.equal((result as PromiseRejectedResult).reason.code, 'ETIMEDOUT');
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('a slow but steady body is not cut off: the timer measures gaps, not the total', async () => {
  const base = await serve((_req, res) => {
    res.writeHead(200);
    let n = 0;
    const tick = setInterval(() => {
      res.write(`${n}`);
      if (++n === 6) {
        clearInterval(tick);
        res.end();
      }
    }, 100);
  });
  const client = createGitHttpClient({ timeoutMs: 300 });
  const res = await client.request({ url: `${base}/x` });
  assert.equal(await drain(res.body), '012345');
});

test('isomorphic-git gives up on a silent server instead of hanging', async () => {
  const base = await serve(() => undefined);
  const http = createGitHttpClient({ timeoutMs: 300 });
  const { ms, result } = await elapsed(() => git.getRemoteInfo({ http, url: `${base}/repo.git` }));
  assert.equal(result.status, 'rejected');
  assert.equal((result as PromiseRejectedResult).reason.code, 'ETIMEDOUT');
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('connection refused surfaces as ECONNREFUSED', async () => {
  const base = await serve(() => undefined);
  const { server } = servers.pop()!;
  await new Promise<void>((r) => server.close(() => r()));
  const client = createGitHttpClient({ timeoutMs: 2000 });
  await assert.rejects(client.request({ url: `${base}/x` }), (err: { code?: string }) => err.code === 'ECONNREFUSED');
});

test('the overall signal aborts a request in flight', async () => {
  const base = await serve(() => undefined);
  const controller = new AbortController();
  const client = createGitHttpClient({ timeoutMs: 10_000, signal: controller.signal });
  setTimeout(() => controller.abort(new Error('deadline of 100 ms')), 100);
  const { ms, result } = await elapsed(() => client.request({ url: `${base}/x` }));
  assert.equal(result.status, 'rejected');
  assert.equal((result as PromiseRejectedResult).reason.code, 'ABORT_ERR');
  assert.match((result as PromiseRejectedResult).reason.message, /deadline of 100 ms/);
  assert.ok(ms < 3000);
});

test('POST bodies given as an array are sent whole, with a content length; headers come back flat', async () => {
  const base = await serve((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'text/plain', 'x-length': req.headers['content-length'] ?? '' });
      res.end(`${req.method} ${body}`);
    });
  });
  const client = createGitHttpClient({ timeoutMs: 2000 });
  const body = [Buffer.from('want '), Buffer.from('abc')] as unknown as AsyncIterableIterator<Uint8Array>;
  const res = await client.request({ url: `${base}/git-upload-pack`, method: 'POST', body, headers: { 'content-type': 'x' } });
  assert.equal(await drain(res.body), 'POST want abc');
  assert.equal(res.headers?.['x-length'], '8');
  assert.equal(res.headers?.['set-cookie'], 'a=1, b=2');
});

test('same-origin redirects are followed; redirects to another host are refused and get no credentials', async () => {
  const seenAuth: (string | undefined)[] = [];
  const other = await serve((req, res) => {
    seenAuth.push(req.headers.authorization);
    res.writeHead(200).end('other');
  });
  const base = await serve((req, res) => {
    if (req.url === '/old') res.writeHead(301, { location: '/new' }).end();
    else if (req.url === '/away') res.writeHead(302, { location: `${other}/stolen` }).end();
    else res.writeHead(200).end(`at ${req.url} auth=${req.headers.authorization ?? ''}`);
  });
  const client = createGitHttpClient({ timeoutMs: 2000 });
  const headers = { authorization: 'Basic c2VjcmV0' };
  const res = await client.request({ url: `${base}/old`, headers });
  assert.equal(await drain(res.body), 'at /new auth=Basic c2VjcmV0');
  assert.match(res.url, /\/new$/);
  await assert.rejects(client.request({ url: `${base}/away`, headers }), (err: { code?: string; message: string }) => {
    assert.equal(err.code, 'GIT_HTTP_REDIRECT');
    assert.doesNotMatch(err.message, /c2VjcmV0/);
    return true;
  });
  assert.deepEqual(seenAuth, []);
});
