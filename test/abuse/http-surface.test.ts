// Hostile clients against the daemon's real HTTP server (the one `flotilla run` binds, with
// the webhook routes and an API token): slow-loris senders and hundreds of idle connections
// must not starve a real delivery; bodies over the limit are cut off at the limit rather
// than read to the end; a wrong token costs the same time whatever it shares with the real
// one; no answer echoes a secret or a stack trace. Every request tried is counted, and the
// server must still answer at the end (no crash).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { silentLogger } from '../../src/log.js';
import { listen, MAX_BODY_BYTES, type ListeningServer } from '../../src/server/http-server.js';
import { createRouter } from '../../src/server/routes.js';
import { webhookRoutes } from '../../src/server/webhook-routes.js';

const SECRET = 'whsec-abuse-7c1f9e03d2b4a6';
const TOKEN = 'api-token-abuse-0b5d8e2f4a6c';
const REPO = 'https://github.com/acme/fleet.git';

let server: ListeningServer;
let host: string;
let port: number;
let syncRequests = 0;
const tried = { requests: 0, connections: 0 };
const answers: string[] = [];

before(async () => {
  const router = createRouter({
    ready: () => true,
    status: () => ({ ok: true }),
    history: () => [],
    requestSync: () => { syncRequests++; },
    registry: new Registry(),
    apiToken: TOKEN,
    extra: webhookRoutes({ secret: SECRET, repoUrl: REPO, branch: 'main', queue: { request: () => { syncRequests++; } } }),
  });
  server = await listen(router, '127.0.0.1:0', silentLogger(), { headersTimeoutMs: 2_000, requestTimeoutMs: 4_000 });
  [host, port] = [server.address.split(':')[0] as string, Number(server.address.split(':')[1])];
});

after(async () => {
  await server.close();
  // What was tried, for the record of this suite.
  console.log(`# abuse http: ${tried.requests} requests and ${tried.connections} raw connections tried; server alive at the end`);
});

function githubPush(): { body: Buffer; headers: Record<string, string> } {
  const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'a'.repeat(40), repository: { clone_url: REPO, html_url: 'https://github.com/acme/fleet' } }));
  const signature = 'sha256=' + createHmac('sha256', SECRET).update(body).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature, 'x-github-delivery': `d-${Math.random()}` } };
}

async function send(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<{ status: number; text: string; ms: number }> {
  tried.requests++;
  const started = performance.now();
  const res = await fetch(`http://${server.address}${path}`, { method, headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  const text = await res.text();
  answers.push(text);
  return { status: res.status, text, ms: performance.now() - started };
}

function openRaw(): Promise<Socket> {
  tried.connections++;
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
  });
}

test('500 idle connections and 50 slow-loris senders do not delay a real webhook delivery', async () => {
  const idle = await Promise.all(Array.from({ length: 500 }, () => openRaw()));
  const loris = await Promise.all(Array.from({ length: 50 }, () => openRaw()));
  const dribble = setInterval(() => { for (const s of loris) if (!s.destroyed) s.write('X'); }, 200);
  for (const s of loris) s.write('POST /hooks/github HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  try {
    const before = syncRequests;
    const { body, headers } = githubPush();
    const delivery = await send('POST', '/hooks/github', { headers, body });
    assert.equal(delivery.status, 202, delivery.text);
    assert.equal(syncRequests, before + 1, 'the push asked for a reconcile');
    assert.ok(delivery.ms < 1_000, `a real delivery took ${delivery.ms.toFixed(0)} ms behind 550 hostile connections`);
    // The header timeout ends a slow-loris sender, however busy it keeps the line.
    const started = performance.now();
    await Promise.all(loris.map(closed));
    const ms = performance.now() - started;
    assert.ok(ms < 8_000, `slow-loris connections were closed after ${ms.toFixed(0)} ms`);
  } finally {
    clearInterval(dribble);
    for (const s of [...idle, ...loris]) s.destroy();
  }
});

test('a body that declares more than the limit is refused with 413 before a byte of it is read', async () => {
  const socket = await openRaw();
  const reply = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => { text += d.toString(); });
    socket.on('close', () => resolve(text));
  });
  socket.write(`POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
  const text = await reply;
  assert.match(text, /^HTTP\/1\.1 413/);
  assert.match(text, /over 1048576 bytes/);
});

test('a chunked body that runs past the limit is cut off at the limit, not read to its end', async () => {
  const socket = await openRaw();
  let written = 0;
  let status = '';
  socket.on('data', (d) => { status ||= d.toString().split('\r\n')[0] ?? ''; });
  socket.write('POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
  const attempt = 256 * 1024 * 1024;
  const done = closed(socket);
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (!socket.destroyed && written < attempt) {
        written += frame.length;
        if (!socket.write(frame)) return void socket.once('drain', pump);
      }
      resolve();
    };
    socket.once('close', () => resolve());
    pump();
  });
  await done;
  assert.match(status, /^HTTP\/1\.1 413/);
  // Loopback socket buffers hold a few MiB; a server that read on would take all 256 MiB.
  assert.ok(written < 32 * 1024 * 1024, `the client got ${(written / 1048576).toFixed(1)} MiB in before the server hung up (limit ${MAX_BODY_BYTES} bytes)`);
});

test('a wrong API token is answered 401 in the same time whether or not it shares a prefix with the real one', async () => {
  const near = TOKEN.slice(0, -1) + 'x';
  const far = 'z'.repeat(TOKEN.length * 3);
  const times = { near: [] as number[], far: [] as number[] };
  for (let i = 0; i < 200; i++) {
    for (const kind of i % 2 === 0 ? (['near', 'far'] as const) : (['far', 'near'] as const)) {
      const token = kind === 'near' ? near : far;
      const r = await send('POST', '/api/v1/sync', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(r.status, 401);
      times[kind].push(r.ms);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const gap = Math.abs(median(times.near) - median(times.far));
  // The comparison is of SHA-256 digests with timingSafeEqual; what is left is loopback noise.
  assert.ok(gap < 0.5, `median 401 time differs by ${gap.toFixed(3)} ms between a near and a far token`);
  const anonymous = await send('POST', '/api/v1/sync');
  assert.equal(anonymous.status, 401);
  assert.equal(syncRequests > 0, true);
});

test('malformed, oversized and unsigned requests never echo a secret, a token or a stack trace, and the server stays up', async () => {
  const cases: Array<[string, string, { headers?: Record<string, string>; body?: string }]> = [
    ['POST', '/hooks/github', { headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${SECRET}` }, body: `{"secret":"${SECRET}"` }],
    ['POST', '/hooks/github', { headers: { 'x-github-event': 'push' }, body: '{}' }],
    ['POST', '/hooks/gitlab', { headers: { 'x-gitlab-token': SECRET.slice(0, 10), 'x-gitlab-event': 'Push Hook' }, body: 'not json' }],
    ['POST', '/hooks/gitea', { headers: { 'x-gitea-signature': 'zz' }, body: '\u0000\u0001' }],
    ['POST', '/hooks/bitbucket', { headers: { 'x-hub-signature': 'sha256=' }, body: '[]' }],
    ['POST', '/hooks/generic', { headers: { 'x-signature': `sha256=${'0'.repeat(64)}` }, body: JSON.stringify({ ref: TOKEN }) }],
    ['POST', '/api/v1/sync', { headers: { authorization: `Bearer ${TOKEN}x` } }],
    ['POST', '/api/v1/sync', { headers: { authorization: `Basic ${Buffer.from(`a:${TOKEN}`).toString('base64')}` } }],
    ['DELETE', '/api/v1/status', {}],
    ['GET', '/%00%ff/../../etc/passwd', {}],
    ['GET', `/api/v1/status?token=${TOKEN}`, {}],
    ['PUT', '/hooks/github', { body: 'x' }],
  ];
  for (const [method, path, init] of cases) {
    const r = await send(method, path, init);
    assert.ok(r.status >= 200 && r.status < 500, `${method} ${path} answered ${r.status}`);
  }
  // A header block over Node's limit is refused by the server itself (431).
  const big = await openRaw();
  const bigReply = new Promise<string>((resolve) => {
    let text = '';
    big.on('data', (d) => { text += d.toString(); });
    big.on('close', () => resolve(text));
  });
  big.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  assert.match(await bigReply, /^HTTP\/1\.1 431/);
  for (const text of answers) {
    assert.ok(!text.includes(SECRET) && !text.includes(TOKEN), `an answer echoed a secret: ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, /\n\s+at |node:internal|\/work\/|dist\/src/, `an answer carries a stack trace: ${text.slice(0, 200)}`);
  }
  const health = await send('GET', '/healthz');
  assert.equal(health.status, 200);
});
