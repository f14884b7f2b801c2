import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RecordingDockerNode } from '../../../src/docker/recording-node.js';
import {
  ContainerConflictError, ContainerNotFoundError, DockerApiError, ImageNotFoundError, ImagePullError, NodeUnreachableError, PortAllocatedError,
} from '../../../src/docker/errors.js';
import type { ContainerCreateBody } from '../../../src/docker/types.js';

function body(image: string, extra: Partial<ContainerCreateBody> = {}, hostPort?: number): ContainerCreateBody {
  return {
    Image: image,
    Env: [],
    Labels: { 'flotilla.managed': 'true' },
    HostConfig: {
      RestartPolicy: { Name: 'no' },
      NetworkMode: 'bridge',
      ...(hostPort ? { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: String(hostPort) }] } } : {}),
    },
    ...extra,
  };
}
const HEALTHCHECK = { Test: ['CMD-SHELL', 'true'] };

describe('RecordingDockerNode', () => {
  it('records writes in order and moves a healthchecked container from starting to healthy', async () => {
    const node = new RecordingDockerNode('node-a', { healthyAfterInspects: 2 });
    await node.pullImage('web:1');
    await node.ensureNetwork({ name: 'shop_default', internal: false, labels: {} });
    const id = await node.createContainer('shop-web-1', body('web:1', { Healthcheck: HEALTHCHECK, HostConfig: { RestartPolicy: { Name: 'no' }, NetworkMode: 'shop_default' } }));
    assert.equal((await node.inspectContainer(id)).state, 'created');
    await node.startContainer(id);
    await node.startContainer(id); // already running: fine, like 304
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push((await node.inspectContainer(id)).health);
    assert.deepEqual(seen, ['starting', 'starting', 'healthy', 'healthy']);
    await node.renameContainer(id, 'shop-web-1-old');
    await node.stopContainer(id);
    await node.stopContainer(id);
    await node.removeContainer(id);
    await node.removeContainer(id); // already gone: fine
    assert.deepEqual(node.writes, [
      ['pull', 'web:1'], ['ensureNetwork', 'shop_default'], ['create', 'shop-web-1'], ['start', id], ['start', id],
      ['rename', id, 'shop-web-1-old'], ['stop', id], ['stop', id], ['remove', id], ['remove', id],
    ]);
    assert.equal(node.calls.inspectContainer, 5);
    assert.deepEqual(await node.listContainers(), []);
  });

  it('lists preloaded squatters; ports only while running', async () => {
    const node = new RecordingDockerNode('node-a', { containers: [{ name: 'squatter', image: 'nginx', body: body('nginx', {}, 8080) }] });
    const id = await node.createContainer('web', body('web:1', {}, 9090));
    const list = await node.listContainers();
    assert.deepEqual(list.map((c) => [c.name, c.state, c.publishedPorts.map((p) => p.hostPort)]), [['squatter', 'running', [8080]], ['web', 'created', []]]);
    assert.equal(node.calls.listContainers, 1);
    assert.equal(node.container(id)?.name, 'web');
  });

  it('refuses what Docker refuses: taken names, absent images, unknown networks, missing containers', async () => {
    const node = new RecordingDockerNode('node-a', { images: ['web:1'] });
    await node.createContainer('web', body('web:1'));
    await assert.rejects(node.createContainer('web', body('web:1')), ContainerConflictError);
    await assert.rejects(node.createContainer('web-2', body('other:1')), ImageNotFoundError);
    await assert.rejects(node.createContainer('x', body('web:1')), (e: unknown) => e instanceof DockerApiError && e.statusCode === 400);
    await assert.rejects(node.renameContainer('web', 'web'), (e: unknown) => e instanceof DockerApiError && e.statusCode === 400);
    // Like Docker 20.10: an unknown network passes create (and connect while stopped) and fails the start.
    const lost = await node.createContainer('lost', body('web:1', { HostConfig: { RestartPolicy: { Name: 'no' }, NetworkMode: 'nope' } }));
    await node.connectNetwork(lost, 'also-nope', []);
    await assert.rejects(node.startContainer(lost), (e: unknown) => e instanceof DockerApiError && e.statusCode === 404 && /network nope not found/.test(e.message));
    assert.deepEqual(await node.inspectContainer(lost).then((v) => [v.state, v.exitCode]), ['created', 128]);
    await node.startContainer('web');
    await assert.rejects(node.connectNetwork('web', 'nope', []), (e: unknown) => e instanceof DockerApiError && e.statusCode === 404);
    await assert.rejects(node.startContainer('ghost'), ContainerNotFoundError);
    await assert.rejects(node.renameContainer('ghost', 'zz'), ContainerNotFoundError);
    assert.equal(await node.hasImage('other:1'), false);
    await node.pullImage('other:1');
    assert.equal(await node.hasImage('other:1'), true);
  });

  it('injects failures per image: pull, exit at once, unhealthy, port conflict', async () => {
    const node = new RecordingDockerNode('node-a', {
      behaviours: { 'bad:1': { pullFails: 'manifest unknown' }, 'crash:1': { exitsAtOnce: 3 }, 'sick:1': { turnsUnhealthy: true, imageHealthcheck: true }, 'greedy:1': { portConflictOnStart: true } },
    });
    assert.equal(await node.hasImage('bad:1'), false);
    await assert.rejects(node.pullImage('bad:1'), (e: unknown) => e instanceof ImagePullError && /manifest unknown/.test(e.message));

    const crash = await node.createContainer('crash', body('crash:1'));
    await node.startContainer(crash);
    assert.deepEqual(await node.inspectContainer(crash).then((v) => [v.state, v.exitCode]), ['exited', 3]);
    const looping = await node.createContainer('looping', body('crash:1', { HostConfig: { RestartPolicy: { Name: 'on-failure' }, NetworkMode: 'bridge' } }));
    await node.startContainer(looping);
    const first = await node.inspectContainer(looping);
    const second = await node.inspectContainer(looping);
    assert.equal(first.state, 'restarting');
    assert.ok(second.restartCount > first.restartCount);

    const sick = await node.createContainer('sick', body('sick:1'));
    await node.startContainer(sick);
    assert.equal((await node.inspectContainer(sick)).health, 'starting');
    assert.equal((await node.inspectContainer(sick)).health, 'unhealthy');

    const greedy = await node.createContainer('greedy', body('greedy:1', {}, 7000));
    await assert.rejects(node.startContainer(greedy), (e: unknown) => e instanceof PortAllocatedError && e.port === 7000);
    assert.equal(node.container(greedy)?.state, 'created');
  });

  it('a host port is held by one running container (or an outside process)', async () => {
    const node = new RecordingDockerNode('node-a');
    const a = await node.createContainer('web-a', body('web:1', {}, 8080));
    const b = await node.createContainer('web-b', body('web:1', {}, 8080));
    await node.startContainer(a);
    await assert.rejects(node.startContainer(b), PortAllocatedError);
    await node.stopContainer(a);
    await node.startContainer(b);
    node.holdPort(9000);
    const c = await node.createContainer('web-c', body('web:1', {}, 9000));
    await assert.rejects(node.startContainer(c), (e: unknown) => e instanceof PortAllocatedError && e.port === 9000);
  });

  it('a down node refuses every call with NodeUnreachableError and records nothing', async () => {
    const node = new RecordingDockerNode('node-b');
    node.setDown(true);
    for (const call of [() => node.listContainers(), () => node.ping(), () => node.info(), () => node.createContainer('web', body('web:1'))]) {
      await assert.rejects(call(), (e: unknown) => e instanceof NodeUnreachableError && e.node === 'node-b');
    }
    assert.deepEqual(node.writes, []);
    node.setDown(false);
    await node.ping();
  });

  it('failNext makes exactly one call fail', async () => {
    const node = new RecordingDockerNode('node-a');
    node.failNext('ensureVolume', new Error('disk full'));
    await assert.rejects(node.ensureVolume({ name: 'data', driverOpts: {}, labels: {} }), /disk full/);
    await node.ensureVolume({ name: 'data', driverOpts: {}, labels: {} });
    assert.deepEqual(node.writes, [['ensureVolume', 'data'], ['ensureVolume', 'data']]);
    assert.ok(node.volumes.has('data'));
  });
});
