// unix:// and tcp:// nodes speak HTTP through node:http / node:https (no dockerode): TLS
// with the files of cluster.yaml, what goes in URLs and bodies, keep-alive reuse and the one
// retry of a read on a dropped connection, aborts, and answers that are not JSON.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { EngineNode } from '../../../src/docker/engine-node.js';
import { ContainerNotFoundError, DockerApiError, DockerNodeError, EndpointError, NodeUnreachableError } from '../../../src/docker/errors.js';
import type { ContainerCreateBody } from '../../../src/docker/types.js';
import { startFakeDockerApi, type FakeDockerApi } from './fake-docker-api.js';
import { hasOpenssl, makeTestCerts, type TestCerts } from './test-certs.js';

const BODY: ContainerCreateBody = {
  Image: 'app:1',
  Env: ['SECRET=hunter2'],
  Labels: { 'flotilla.managed': 'true' },
  HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: 'bridge' },
};

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('requests over a unix socket', () => {
  let api: FakeDockerApi;
  let node: EngineNode;
  before(async () => {
    api = await startFakeDockerApi();
  });
  after(async () => {
    await api.close();
  });
  beforeEach(() => {
    api.requests.length = 0;
    node = EngineNode.fromSpec({ name: 'node-a', endpoint: api.endpoint }, { timeoutMs: 500 });
  });

  it('puts a request body only in the body, as JSON, and never in the URL', async () => {
    api.on('POST', '/containers/create', { status: 201, json: { Id: 'new1' } });
    api.on('POST', '/volumes/create', { status: 201, json: { Name: 'data' } });
    await node.createContainer('shop-web-1', BODY);
    await node.ensureVolume({ name: 'data', driverOpts: { o: 'secret-opt' }, labels: {} });
    const [create, volume] = api.requests;
    assert.equal(create?.url, '/containers/create?name=shop-web-1');
    assert.equal(create?.contentType, 'application/json');
    assert.deepEqual(JSON.parse(create?.body ?? ''), BODY);
    assert.equal(volume?.url, '/volumes/create');
    assert.equal(volume?.contentType, 'application/json');
    assert.doesNotMatch(api.requests.map((r) => r.url).join(' '), /hunter2|secret-opt|Env|Labels/);
  });

  it('sends no body and no Content-Type where there is nothing to send', async () => {
    api.on('POST', /^\/containers\/[^/]+\/(start|stop)$/, { status: 204 });
    api.on('DELETE', /^\/containers\/[^/]+$/, { status: 204 });
    await node.startContainer('abc');
    await node.stopContainer('abc');
    await node.removeContainer('abc');
    assert.deepEqual(api.requests.map((r) => [r.url, r.body, r.contentType]), [
      ['/containers/abc/start', '', undefined],
      ['/containers/abc/stop', '', undefined],
      ['/containers/abc?force=true&v=true', '', undefined],
    ]);
  });

  it('encodes the query as docker-modem did (spaces as %20) and leaves an image path as written', async () => {
    api.on('POST', /\/rename$/, { status: 204 });
    api.on('GET', /^\/images\/.+\/json$/, { status: 200, json: { Id: 'sha256:1' } });
    await node.renameContainer('abc', 'new name&x=1');
    assert.equal(await node.hasImage('registry:5000/team/app:2'), true);
    assert.deepEqual(api.requests.map((r) => r.url), ['/containers/abc/rename?name=new%20name%26x%3D1', '/images/registry:5000/team/app:2/json']);
  });

  it('keeps the connection alive between calls of one node', async () => {
    api.on('GET', '/_ping', { status: 200, json: 'OK' });
    await node.ping();
    await node.ping();
    await node.ping();
    const [first, ...rest] = api.requests.map((r) => r.connection);
    assert.ok(first !== undefined && first > 0);
    assert.deepEqual(rest, [first, first]);
  });

  it('retries a read once on a fresh connection when a kept-alive one was dropped', async () => {
    let dropOn = -1;
    api.on('GET', '/_ping', (req) => (req.connection === dropOn ? { drop: true } : { status: 200, json: 'OK' }));
    await node.ping();
    dropOn = api.requests[0]?.connection ?? -1;
    await node.ping();
    const connections = api.requests.map((r) => r.connection);
    assert.equal(connections.length, 3, 'one request, then the dropped one and its retry');
    assert.equal(connections[1], dropOn, 'the second call went out on the kept-alive connection');
    assert.notEqual(connections[2], dropOn, 'the retry used a new connection');
    assert.equal(node.calls.ping, 2);
  });

  it('never retries a write on a dropped kept-alive connection', async () => {
    let dropOn = -1;
    api.on('GET', '/_ping', { status: 200, json: 'OK' });
    api.on('POST', /^\/containers\/[^/]+\/start$/, (req) => (req.connection === dropOn ? { drop: true } : { status: 204 }));
    await node.ping();
    dropOn = api.requests[0]?.connection ?? -1;
    const err = await node.startContainer('abc').catch((e: unknown) => e);
    assert.ok(err instanceof NodeUnreachableError, String(err));
    assert.match(err.message, /connection was reset \(ECONNRESET\)/);
    assert.equal(api.requests.filter((r) => r.method === 'POST').length, 1);
  });

  it('reads a non-JSON error body as Docker\'s message, with its status', async () => {
    api.on('POST', '/networks/create', { status: 502, text: '<html><body>502 Bad Gateway</body></html>\n' });
    api.on('DELETE', '/containers/gone', { status: 404, text: 'No such container: gone' });
    api.on('GET', '/info', { status: 500 });
    const err = await node.ensureNetwork({ name: 'n', internal: false, labels: {} }).catch((e: unknown) => e);
    assert.ok(err instanceof DockerApiError, String(err));
    assert.equal(err.statusCode, 502);
    assert.equal(err.dockerMessage, '<html><body>502 Bad Gateway</body></html>');
    await node.removeContainer('gone'); // a plain-text 404 "No such container" is still "already gone"
    const empty = await node.info().catch((e: unknown) => e);
    assert.ok(empty instanceof DockerApiError, String(empty));
    assert.equal(empty.statusCode, 500);
    assert.match(empty.message, /info failed \(HTTP 500\): the response had no body/);
  });

  it('a refused status on a streamed request still carries Docker\'s message', async () => {
    api.on('POST', '/images/create', { status: 404, json: { message: 'pull access denied for nope' } });
    await assert.rejects(node.pullImage('nope:1'), (e: unknown) => e instanceof DockerNodeError && e.code === 'IMAGE_PULL_FAILED' && /pull access denied for nope/.test(e.message));
  });

  it('a missing container reported as JSON and as text reads the same', async () => {
    api.on('GET', '/containers/x/json', { status: 404, json: { message: 'No such container: x' } });
    api.on('GET', '/containers/y/json', { status: 404, text: 'No such container: y' });
    await assert.rejects(node.inspectContainer('x'), ContainerNotFoundError);
    await assert.rejects(node.inspectContainer('y'), ContainerNotFoundError);
  });
});

describe('aborting a request', () => {
  let api: FakeDockerApi;
  before(async () => {
    api = await startFakeDockerApi();
  });
  after(async () => {
    await api.close();
  });

  it('a call past its timeout gives up and closes its connection, waiting for headers or for the body', async () => {
    api.on('GET', '/info', { hang: true });
    api.on('GET', '/containers/json', { status: 200, stallBody: true });
    const node = EngineNode.fromSpec({ name: 'node-h', endpoint: api.endpoint }, { timeoutMs: 300 });
    for (const call of [() => node.info(), () => node.listContainers()]) {
      const started = Date.now();
      const err = await call().catch((e: unknown) => e);
      assert.ok(err instanceof NodeUnreachableError, String(err));
      assert.match(err.message, /did not answer within 0.3 s/);
      assert.ok(Date.now() - started < 2000);
      // The server keeps hanging; only the client closing the socket ends the connection.
      await until(() => api.openConnections() === 0);
    }
    assert.equal(api.requests.length, 2, 'a timeout is not retried');
  });
});

describe('tcp:// endpoints', () => {
  it('plain tcp: requests reach the daemon at host:port', async () => {
    const api = await startFakeDockerApi({ on: 'tcp' });
    try {
      api.on('GET', '/info', { status: 200, json: { NCPU: 2, MemTotal: 1e9, ServerVersion: '24.0.0' } });
      const node = EngineNode.fromSpec({ name: 'node-t', endpoint: api.endpoint });
      assert.deepEqual(await node.info(), { cpus: 2, memoryBytes: 1e9, serverVersion: '24.0.0' });
    } finally {
      await api.close();
    }
  });

  describe('with TLS', { skip: hasOpenssl() ? false : 'the openssl CLI is not installed' }, () => {
    let certs: TestCerts;
    let api: FakeDockerApi;
    before(async () => {
      certs = makeTestCerts();
      api = await startFakeDockerApi({ on: 'tls', ...certs.server });
      api.on('GET', '/_ping', { status: 200, json: 'OK' });
      api.on('POST', '/containers/create', { status: 201, json: { Id: 'tls1' } });
      api.on('POST', '/images/create', { status: 200, lines: [JSON.stringify({ status: 'Status: Downloaded newer image for app:1' })] });
    });
    after(async () => {
      await api?.close();
      certs?.remove();
    });
    beforeEach(() => {
      api.requests.length = 0;
    });

    it('verifies the daemon with tls.ca and presents tls.cert/tls.key (relative to the repo)', async () => {
      const node = EngineNode.fromSpec(
        { name: 'node-tls', endpoint: api.endpoint, tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' } },
        { baseDir: certs.dir },
      );
      await node.ping();
      assert.equal(await node.createContainer('web-1', BODY), 'tls1');
      await node.pullImage('app:1');
      assert.deepEqual(api.requests.map((r) => [r.url, r.clientCertCn]), [
        ['/_ping', 'flotilla-client'],
        ['/containers/create?name=web-1', 'flotilla-client'],
        ['/images/create?fromImage=app&tag=1', 'flotilla-client'],
      ]);
      assert.deepEqual(JSON.parse(api.requests[1]?.body ?? ''), BODY);
      assert.equal(new Set(api.requests.map((r) => r.connection)).size, 1, 'one kept-alive TLS connection');
    });

    it('refuses a daemon whose certificate tls.ca did not sign, before sending anything', async () => {
      const node = EngineNode.fromSpec({ name: 'node-tls', endpoint: api.endpoint, tls: { ca: certs.files.otherCa, cert: certs.files.cert, key: certs.files.key } });
      const err = await node.ping().catch((e: unknown) => e);
      // Unreachable (the node is marked down), and the message says to look at the TLS files.
      assert.ok(err instanceof NodeUnreachableError, String(err));
      assert.match(err.message, /TLS handshake failed: .*certificate.*check that the port serves TLS, and tls\.ca, tls\.cert and tls\.key/i);
      assert.equal(api.requests.length, 0);
    });

    it('tls: pointed at a port that does not speak TLS says so, and marks the node unreachable', async () => {
      const plain = await startFakeDockerApi({ on: 'tcp' });
      try {
        plain.on('GET', '/_ping', { status: 200, json: 'OK' });
        const node = EngineNode.fromSpec({ name: 'node-tls', endpoint: plain.endpoint, tls: { ca: certs.files.ca, cert: certs.files.cert, key: certs.files.key } });
        const err = await node.ping().catch((e: unknown) => e);
        assert.ok(err instanceof NodeUnreachableError, String(err));
        assert.match(err.message, /TLS handshake failed: wrong version number \(EPROTO\); check that the port serves TLS/);
      } finally {
        await plain.close();
      }
    });

    it('a key that does not belong to the certificate is an endpoint error when the node is built', () => {
      assert.throws(
        () => EngineNode.fromSpec({ name: 'node-tls', endpoint: api.endpoint, tls: { ca: certs.files.ca, cert: certs.files.cert, key: join(certs.dir, 'ca.key') } }),
        (e: unknown) => e instanceof EndpointError && /tls files cannot be used together: .*key values mismatch/i.test(e.message),
      );
    });

    it('without a client certificate the daemon refuses the connection', async () => {
      const node = EngineNode.fromSpec({ name: 'node-tls', endpoint: api.endpoint, tls: { ca: certs.files.ca } });
      const err = await node.ping().catch((e: unknown) => e);
      assert.ok(err instanceof NodeUnreachableError, String(err));
      assert.match(err.message, /TLS handshake failed: .*certificate required/i);
      assert.equal(api.requests.length, 0);
    });
  });
});
