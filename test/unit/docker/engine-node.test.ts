// EngineNode against a scripted Engine API on a unix socket: the exact requests it makes
// (one list call, no body in query strings, no body on /start) and how each Docker answer
// becomes a typed error.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EngineNode } from '../../../src/docker/engine-node.js';
import {
  ContainerConflictError, ContainerNotFoundError, DockerApiError, ImageNotFoundError, ImagePullError, NodeUnreachableError, PortAllocatedError,
} from '../../../src/docker/errors.js';
import type { ContainerCreateBody } from '../../../src/docker/types.js';
import { startFakeDockerApi, type FakeDockerApi } from './fake-docker-api.js';

const BODY: ContainerCreateBody = {
  Image: 'app:1',
  Env: ['SECRET=hunter2'],
  Labels: { 'flotilla.managed': 'true' },
  HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: 'bridge' },
};

describe('EngineNode against a scripted API', () => {
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
    node = EngineNode.fromSpec({ name: 'node-a', endpoint: api.endpoint }, { timeoutMs: 500, pullTimeoutMs: 500 });
  });

  it('lists every container with one GET /containers/json?all=1 and parses it', async () => {
    api.on('GET', '/containers/json', {
      status: 200,
      json: [
        {
          Id: 'abc', Names: ['/shop-web-1'], Image: 'app:1', State: 'running', Status: 'Up 2 minutes (healthy)', Created: 1700000000,
          Labels: { 'flotilla.managed': 'true' },
          Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }],
        },
        { Id: 'def', Names: ['/squatter'], Image: 'sha256:1234', State: 'exited', Status: 'Exited (1) 3 seconds ago', Created: 1700000001, Labels: null, Ports: [] },
      ],
    });
    const list = await node.listContainers();
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0]?.query.get('all'), '1');
    assert.equal(api.requests[0]?.query.get('filters'), null);
    assert.equal(node.calls.listContainers, 1);
    assert.deepEqual(list[0], {
      id: 'abc', name: 'shop-web-1', node: 'node-a', image: 'app:1', labels: { 'flotilla.managed': 'true' }, state: 'running', health: 'healthy',
      publishedPorts: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], createdAt: 1700000000,
    });
    assert.equal(list[1]?.state, 'exited');
    assert.equal(list[1]?.health, undefined);
    assert.deepEqual(list[1]?.labels, {});
  });

  it('creates with the name in the query and the body only in the body', async () => {
    api.on('POST', '/containers/create', { status: 201, json: { Id: 'new1', Warnings: [] } });
    assert.equal(await node.createContainer('shop-web-1', BODY), 'new1');
    const req = api.requests[0];
    assert.equal(req?.query.get('name'), 'shop-web-1');
    assert.deepEqual([...(req?.query.keys() ?? [])], ['name']);
    assert.deepEqual(JSON.parse(req?.body ?? ''), BODY);
  });

  it('turns a 409 on create into ContainerConflictError naming node and container', async () => {
    api.on('POST', '/containers/create', { status: 409, json: { message: 'Conflict. The container name "/shop-web-1" is already in use by container "abc". You have to remove (or rename) that container to be able to reuse that name.' } });
    const err = await node.createContainer('shop-web-1', BODY).catch((e: unknown) => e);
    assert.ok(err instanceof ContainerConflictError, String(err));
    assert.equal(err.code, 'CONTAINER_CONFLICT');
    assert.equal(err.node, 'node-a');
    assert.match(err.message, /node-a.*create container "shop-web-1".*already in use/);
  });

  it('turns a 404 "No such image" on create into ImageNotFoundError', async () => {
    api.on('POST', '/containers/create', { status: 404, json: { message: 'No such image: app:1' } });
    const err = await node.createContainer('x', BODY).catch((e: unknown) => e);
    assert.ok(err instanceof ImageNotFoundError, String(err));
    assert.equal(err.image, 'app:1');
  });

  it('starts without a request body and takes 304 (already started) as success', async () => {
    api.on('POST', /^\/containers\/[^/]+\/start$/, { status: 304 });
    await node.startContainer('abc');
    assert.equal(api.requests[0]?.body, '');
  });

  it('reports "port is already allocated" on start as PortAllocatedError with the port', async () => {
    api.on('POST', /^\/containers\/[^/]+\/start$/, {
      status: 500,
      json: { message: 'driver failed programming external connectivity on endpoint web (1234): Bind for 0.0.0.0:8080 failed: port is already allocated' },
    });
    const err = await node.startContainer('abc').catch((e: unknown) => e);
    assert.ok(err instanceof PortAllocatedError, String(err));
    assert.equal(err.port, 8080);
    assert.match(err.message, /node-a.*start container abc.*host port 8080/);
  });

  it('stops with t in the query; 304 is success', async () => {
    api.on('POST', /^\/containers\/[^/]+\/stop$/, { status: 304 });
    await node.stopContainer('abc', 7);
    assert.equal(api.requests[0]?.query.get('t'), '7');
    assert.equal(api.requests[0]?.body, '');
  });

  it('removes with force and volumes; 404 is already gone', async () => {
    api.on('DELETE', /^\/containers\/[^/]+$/, { status: 404, json: { message: 'No such container: abc' } });
    await node.removeContainer('abc');
    assert.equal(api.requests[0]?.query.get('force'), 'true');
    assert.equal(api.requests[0]?.query.get('v'), 'true');
  });

  it('rename: 409 is a conflict on the new name, 404 names the missing container', async () => {
    api.on('POST', '/containers/a/rename', { status: 409, json: { message: 'Conflict. The container name "/b" is already in use' } });
    api.on('POST', '/containers/gone/rename', { status: 404, json: { message: 'No such container: gone' } });
    const conflict = await node.renameContainer('a', 'b').catch((e: unknown) => e);
    assert.ok(conflict instanceof ContainerConflictError);
    assert.equal(conflict.containerName, 'b');
    const missing = await node.renameContainer('gone', 'c').catch((e: unknown) => e);
    assert.ok(missing instanceof ContainerNotFoundError);
    assert.equal(missing.container, 'gone');
  });

  it('hasImage: 200 true, 404 false', async () => {
    api.on('GET', '/images/app:1/json', { status: 200, json: { Id: 'sha256:1' } });
    api.on('GET', '/images/registry:5000/team/app:2/json', { status: 404, json: { message: 'No such image: registry:5000/team/app:2' } });
    assert.equal(await node.hasImage('app:1'), true);
    assert.equal(await node.hasImage('registry:5000/team/app:2'), false);
  });

  it('ensureNetwork asks for CheckDuplicate and takes 409 as existing', async () => {
    api.on('POST', '/networks/create', { status: 409, json: { message: 'network with name shop_default already exists' } });
    await node.ensureNetwork({ name: 'shop_default', internal: false, labels: { a: 'b' } });
    assert.deepEqual(JSON.parse(api.requests[0]?.body ?? ''), { Name: 'shop_default', CheckDuplicate: true, Internal: false, Labels: { a: 'b' } });
  });

  it('connectNetwork treats "already exists in network" as success', async () => {
    api.on('POST', '/networks/back/connect', { status: 403, json: { message: 'endpoint with name web already exists in network back' } });
    await node.connectNetwork('abc', 'back', ['web']);
    assert.deepEqual(JSON.parse(api.requests[0]?.body ?? ''), { Container: 'abc', EndpointConfig: { Aliases: ['web'] } });
  });

  it('pull: an error event in a 200 stream is ImagePullError with the registry message', async () => {
    api.on('POST', '/images/create', {
      status: 200,
      lines: [
        JSON.stringify({ status: 'Pulling from team/app', id: '2' }),
        JSON.stringify({ errorDetail: { message: 'manifest for team/app:2 not found: manifest unknown' }, error: 'manifest for team/app:2 not found' }),
      ],
    });
    const err = await node.pullImage('team/app:2').catch((e: unknown) => e);
    assert.ok(err instanceof ImagePullError, String(err));
    assert.match(err.message, /"node-a" could not pull team\/app:2 from registry docker\.io: manifest unknown \(manifest for team\/app:2 not found: manifest unknown\)/);
    assert.equal(err.reason, 'manifest unknown');
    assert.equal(api.requests[0]?.registryAuth, undefined, 'an anonymous pull sends no X-Registry-Auth');
    assert.equal(api.requests[0]?.query.get('fromImage'), 'team/app');
    assert.equal(api.requests[0]?.query.get('tag'), '2');
  });

  it('pull: an HTTP error before the stream is ImagePullError too; a clean stream resolves', async () => {
    api.on('POST', '/images/create', (req) =>
      req.query.get('fromImage') === 'nope'
        ? { status: 404, json: { message: 'pull access denied for nope, repository does not exist' } }
        : { status: 200, lines: [JSON.stringify({ status: 'Status: Downloaded newer image for ok:latest' })] },
    );
    await assert.rejects(node.pullImage('nope'), (e: unknown) => e instanceof ImagePullError && /repository does not exist/.test(e.message));
    await node.pullImage('ok');
    assert.equal(api.requests[1]?.query.get('tag'), 'latest');
    assert.equal(node.calls.pullImage, 2);
  });

  it('pull with credentials sends them as X-Registry-Auth, and a refusal names registry, image, reason and source, never the credential', async () => {
    const header = Buffer.from(JSON.stringify({ username: 'ci', password: 'pa55-word-xyz', serveraddress: 'reg.example.com:5000' })).toString('base64url');
    api.on('POST', '/images/create', { status: 500, json: { message: 'unauthorized: authentication required' } });
    const err = await node.pullImage('reg.example.com:5000/team/app:2', { header, source: 'spec.registries auth.file /etc/flotilla/reg.json' }).catch((e: unknown) => e);
    assert.equal(api.requests[0]?.registryAuth, header);
    assert.equal(api.requests[0]?.query.get('fromImage'), 'reg.example.com:5000/team/app');
    assert.ok(err instanceof ImagePullError, String(err));
    assert.equal(err.registry, 'reg.example.com:5000');
    assert.equal(err.reason, 'unauthorized');
    assert.match(err.message, /could not pull reg\.example\.com:5000\/team\/app:2 from registry reg\.example\.com:5000: unauthorized \(unauthorized: authentication required\)\. The registry refused the credentials from spec\.registries auth\.file \/etc\/flotilla\/reg\.json/);
    assert.doesNotMatch(err.message, /pa55-word-xyz/);
    assert.ok(!err.message.includes(header));
  });

  it('pull: no answer at all (Docker still looking the registry up) is an unreachable registry after the answer timeout', async () => {
    api.on('POST', '/images/create', { hang: true });
    const waiting = EngineNode.fromSpec({ name: 'node-a', endpoint: api.endpoint }, { timeoutMs: 500, pullTimeoutMs: 60_000, pullAnswerTimeoutMs: 300 });
    const started = Date.now();
    const err = await waiting.pullImage('reg.example.com/app:1').catch((e: unknown) => e);
    assert.ok(err instanceof ImagePullError, String(err));
    assert.equal(err.reason, 'unreachable');
    assert.match(err.message, /from registry reg\.example\.com: unreachable \(Docker did not answer within 0\.3 s/);
    assert.ok(Date.now() - started < 3000, 'long before the pull timeout');
  });

  it('pull: a stream that stalls is bounded by the pull timeout', async () => {
    api.on('POST', '/images/create', { status: 200, stallBody: true });
    const started = Date.now();
    await assert.rejects(node.pullImage('slow:1'), (e: unknown) => e instanceof ImagePullError && /did not finish within 0.5 s/.test(e.message));
    assert.ok(Date.now() - started < 3000);
  });

  it('a daemon that never answers is NodeUnreachableError after the call timeout', async () => {
    api.on('GET', '/info', { hang: true });
    const started = Date.now();
    const err = await node.info().catch((e: unknown) => e);
    assert.ok(err instanceof NodeUnreachableError, String(err));
    assert.match(err.message, /node-a.*did not answer within 0.5 s/);
    assert.ok(Date.now() - started < 3000);
  });

  it('headers then a stalled body is bounded too', async () => {
    api.on('GET', '/containers/json', { status: 200, stallBody: true });
    await assert.rejects(node.listContainers(), NodeUnreachableError);
  });

  it('a read on a dropped connection is retried once; a write is not', async () => {
    let n = 0;
    api.on('GET', '/_ping', () => (++n === 1 ? { drop: true } : { status: 200, json: 'OK' }));
    await node.ping();
    assert.equal(n, 2);
    assert.equal(node.calls.ping, 1);
    api.on('POST', /^\/containers\/[^/]+\/start$/, { drop: true });
    await assert.rejects(node.startContainer('abc'), NodeUnreachableError);
    assert.equal(api.requests.filter((r) => r.method === 'POST').length, 1);
  });

  it('messages show a long container id in its short form', async () => {
    const id = 'a'.repeat(64);
    api.on('POST', `/containers/${id}/start`, { status: 500, json: { message: 'Bind for 0.0.0.0:80 failed: port is already allocated' } });
    const err = await node.startContainer(id).catch((e: unknown) => e);
    assert.ok(err instanceof PortAllocatedError);
    assert.equal(err.container, id);
    assert.match(err.message, /start container aaaaaaaaaaaa failed/);
  });

  it('other API errors are DockerApiError with status and Docker message', async () => {
    api.on('POST', '/volumes/create', { status: 500, json: { message: 'a volume with the name data already exists with driver "local"' } });
    const err = await node.ensureVolume({ name: 'data', driver: 'nfs', driverOpts: {}, labels: {} }).catch((e: unknown) => e);
    assert.ok(err instanceof DockerApiError, String(err));
    assert.equal(err.statusCode, 500);
    assert.match(err.message, /"node-a": create volume data failed \(HTTP 500\): a volume with the name data already exists/);
  });

  it('info and inspect parse what the executor needs', async () => {
    api.on('GET', '/info', { status: 200, json: { NCPU: 4, MemTotal: 8e9, ServerVersion: '20.10.24' } });
    api.on('GET', '/containers/abc/json', {
      status: 200,
      json: { Id: 'abc', Name: '/shop-web-1', RestartCount: 2, State: { Status: 'running', ExitCode: 0, StartedAt: '2026-01-01T00:00:00Z', Error: '', Health: { Status: 'starting' } } },
    });
    assert.deepEqual(await node.info(), { cpus: 4, memoryBytes: 8e9, serverVersion: '20.10.24' });
    assert.deepEqual(await node.inspectContainer('abc'), {
      id: 'abc', name: 'shop-web-1', state: 'running', health: 'starting', restartCount: 2, exitCode: 0, startedAt: '2026-01-01T00:00:00Z', error: '',
    });
  });
});

describe('EngineNode without a daemon', () => {
  it('a missing socket is NodeUnreachableError at once', async () => {
    const node = EngineNode.fromSpec({ name: 'node-z', endpoint: 'unix:///nonexistent/docker.sock' });
    const err = await node.ping().catch((e: unknown) => e);
    assert.ok(err instanceof NodeUnreachableError, String(err));
    assert.equal(err.code, 'NODE_UNREACHABLE');
    assert.match(err.message, /Node "node-z" is unreachable at unix:\/\/\/nonexistent\/docker.sock \(ping\): the Docker socket does not exist/);
  });

  it('a refused tcp connection is NodeUnreachableError at once', async () => {
    const node = EngineNode.fromSpec({ name: 'node-y', endpoint: 'tcp://127.0.0.1:1' });
    await assert.rejects(node.listContainers(), (e: unknown) => e instanceof NodeUnreachableError && /connection refused/.test(e.message));
    assert.equal(node.calls.listContainers, 1);
  });
});
