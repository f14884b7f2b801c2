// EngineNode against real Docker 20.10 daemons (the fleet harness): every method, the
// idempotent repeats, and each typed error as the daemon really produces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import { EngineNode } from '../../src/docker/engine-node.js';
import { ContainerConflictError, DockerApiError, ImageNotFoundError, ImagePullError, NodeUnreachableError, PortAllocatedError } from '../../src/docker/errors.js';
import type { ContainerCreateBody } from '../../src/docker/types.js';
import { startFleet, type FleetNode } from '../support/fleet.js';
import { loadImages, WEB_BODY, WEB_HEALTHCHECK_CMD, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { httpGet, waitFor } from '../support/wait.js';

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

function webBody(hostPort: number, labels: Record<string, string> = {}, network = 'bridge'): ContainerCreateBody {
  return {
    Image: WEB_HEALTHY,
    Env: ['GREETING=hello'],
    Labels: { 'flotilla.managed': 'true', 'flotilla.cluster': 'it', ...labels },
    ExposedPorts: { '80/tcp': {} },
    StopTimeout: 2,
    // Nanoseconds, as the Engine API takes them.
    Healthcheck: { Test: ['CMD-SHELL', WEB_HEALTHCHECK_CMD], Interval: 500_000_000, Timeout: 2_000_000_000, Retries: 2 },
    HostConfig: {
      PortBindings: { '80/tcp': [{ HostIp: '', HostPort: String(hostPort) }] },
      RestartPolicy: { Name: 'no' },
      NetworkMode: network,
    },
  };
}

test('EngineNode against a fleet of real Docker nodes', async (t) => {
  if (!requireDocker(t)) return;
  let since = performance.now();
  const fleet = await startFleet({ nodes: 3, name: 'docker-node' });
  t.diagnostic(`fleet of 3 started in ${seconds(since)}`);
  try {
    since = performance.now();
    await loadImages(fleet, [WEB_HEALTHY]);
    t.diagnostic(`images loaded in ${seconds(since)}`);
    const [a, b, c] = fleet.nodes as [FleetNode, FleetNode, FleetNode];
    const opts = { timeoutMs: 10_000, pullTimeoutMs: 20_000 };
    const overUnix = fleet.nodes.map((n) => EngineNode.fromSpec({ name: n.name, endpoint: n.endpoint }, opts));
    const nodeA = overUnix[0] as EngineNode;
    const nodeBTcp = EngineNode.fromSpec({ name: b.name, endpoint: b.tcpEndpoint }, opts);
    const rawA = new Docker({ socketPath: a.socketPath });

    await t.test('ping, info and list on every node, over unix and tcp', async () => {
      for (const node of [...overUnix, nodeBTcp]) {
        await node.ping();
        const facts = await node.info();
        assert.ok(facts.cpus > 0 && facts.memoryBytes > 0, JSON.stringify(facts));
        assert.match(facts.serverVersion, /^\d+\.\d+/);
        assert.deepEqual(await node.listContainers(), []);
        assert.equal(node.calls.listContainers, 1);
      }
    });

    await t.test('ensureNetwork and ensureVolume are idempotent', async () => {
      const labels = { 'flotilla.managed': 'true', 'flotilla.stack': 'shop' };
      for (let i = 0; i < 2; i++) {
        await nodeA.ensureNetwork({ name: 'shop_default', internal: false, labels });
        await nodeA.ensureNetwork({ name: 'shop_back', internal: true, labels });
        await nodeA.ensureVolume({ name: 'shop_data', driverOpts: {}, labels });
      }
      const networks = await rawA.listNetworks();
      assert.equal(networks.filter((n) => n.Name === 'shop_default').length, 1, 'one network of that name, not two');
      assert.equal(networks.find((n) => n.Name === 'shop_back')?.Internal, true);
      assert.equal((await rawA.getVolume('shop_data').inspect()).Labels['flotilla.stack'], 'shop');
    });

    let webId = '';
    await t.test('create + start: reachable over HTTP at the node address, healthy, listed with labels and ports', async () => {
      const started = performance.now();
      webId = await nodeA.createContainer('shop-web-1', webBody(8080, { 'flotilla.slot': '1' }, 'shop_default'));
      await nodeA.startContainer(webId);
      await nodeA.connectNetwork(webId, 'shop_back', ['web']);
      await nodeA.connectNetwork(webId, 'shop_back', ['web']); // already connected: fine
      const body = await waitFor('HTTP on node-a:8080', async () => {
        const res = await httpGet(`http://${a.address}:8080/`);
        return res.status === 200 ? res.body : undefined;
      });
      assert.equal(body, WEB_BODY[WEB_HEALTHY]);
      const view = await waitFor('shop-web-1 healthy', async () => {
        const v = await nodeA.inspectContainer(webId);
        return v.health === 'healthy' ? v : undefined;
      }, { intervalMs: 100 });
      t.diagnostic(`create to healthy in ${seconds(started)}`);
      assert.deepEqual([view.id, view.name, view.state, view.restartCount, view.exitCode, view.error], [webId, 'shop-web-1', 'running', 0, 0, '']);
      assert.ok(Date.parse(view.startedAt) > 0);
      const networks = Object.keys((await rawA.getContainer(webId).inspect()).NetworkSettings.Networks).sort();
      assert.deepEqual(networks, ['shop_back', 'shop_default']);

      const before = nodeA.calls.listContainers;
      const [listed] = await nodeA.listContainers();
      assert.equal(nodeA.calls.listContainers, before + 1);
      assert.equal(listed?.id, webId);
      assert.equal(listed?.name, 'shop-web-1');
      assert.equal(listed?.node, 'node-a');
      assert.equal(listed?.image, WEB_HEALTHY);
      assert.equal(listed?.state, 'running');
      assert.equal(listed?.health, 'healthy');
      assert.equal(listed?.labels['flotilla.slot'], '1');
      assert.deepEqual(listed?.publishedPorts, [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
    });

    await t.test('an unmanaged container is listed too', async () => {
      const squatter = await rawA.createContainer({ name: 'squatter', Image: WEB_HEALTHY });
      const names = (await nodeA.listContainers()).map((x) => x.name).sort();
      assert.deepEqual(names, ['shop-web-1', 'squatter']);
      await nodeA.removeContainer(squatter.id);
    });

    await t.test('stop, start, rename and remove are idempotent', async () => {
      await nodeA.stopContainer(webId, 2);
      await nodeA.stopContainer(webId, 2); // 304
      const stopped = (await nodeA.listContainers()).find((x) => x.id === webId);
      assert.equal(stopped?.state, 'exited');
      assert.deepEqual(stopped?.publishedPorts, [], 'a stopped container lists no bindings');
      await nodeA.startContainer(webId);
      await nodeA.startContainer(webId); // 304
      await nodeA.renameContainer(webId, 'shop-web-1-old');
      assert.equal((await nodeA.inspectContainer(webId)).name, 'shop-web-1-old');
      await nodeA.removeContainer(webId);
      await nodeA.removeContainer(webId); // 404: already gone
      assert.deepEqual(await nodeA.listContainers(), []);
    });

    await t.test('a taken name is ContainerConflictError; an absent image is ImageNotFoundError', async () => {
      const id = await nodeA.createContainer('taken', webBody(8081));
      const conflict = await nodeA.createContainer('taken', webBody(8082)).catch((e: unknown) => e);
      assert.ok(conflict instanceof ContainerConflictError, String(conflict));
      assert.match(conflict.message, /node-a.*"taken".*already/);
      const renameClash = await nodeA.createContainer('other', webBody(8083));
      await assert.rejects(nodeA.renameContainer(renameClash, 'taken'), ContainerConflictError);
      await assert.rejects(nodeA.createContainer('nope', { ...webBody(8084), Image: 'flotilla-test/absent:1' }), ImageNotFoundError);
      assert.equal(await nodeA.hasImage(WEB_HEALTHY), true);
      assert.equal(await nodeA.hasImage('flotilla-test/absent:1'), false);
      await nodeA.removeContainer(id);
      await nodeA.removeContainer(renameClash);
    });

    await t.test('an unknown network passes create and connect, and fails the start', async () => {
      // What RecordingDockerNode mimics: the executor must ensure networks before the start.
      const id = await nodeA.createContainer('netless', webBody(8085, {}, 'no-such-net'));
      await nodeA.connectNetwork(id, 'no-such-either', []);
      const err = await nodeA.startContainer(id).catch((e: unknown) => e);
      assert.ok(err instanceof DockerApiError, String(err));
      assert.equal(err.statusCode, 404);
      assert.match(err.message, /network no-such-(net|either) not found/); // Docker walks its networks in map order
      assert.deepEqual(await nodeA.inspectContainer(id).then((v) => [v.state, v.exitCode]), ['created', 128]);
      await assert.rejects(nodeA.renameContainer(id, 'netless'), (e: unknown) => e instanceof DockerApiError && e.statusCode === 400);
      await nodeA.removeContainer(id);
    });

    await t.test('starting a container whose host port is taken is PortAllocatedError', async () => {
      const first = await nodeA.createContainer('port-holder', webBody(8090));
      await nodeA.startContainer(first);
      const second = await nodeA.createContainer('port-wanter', webBody(8090));
      const err = await nodeA.startContainer(second).catch((e: unknown) => e);
      assert.ok(err instanceof PortAllocatedError, String(err));
      assert.equal(err.port, 8090);
      t.diagnostic(err.message);
      assert.equal((await nodeA.inspectContainer(second)).state, 'created');
      await nodeA.removeContainer(first);
      await nodeA.removeContainer(second);
    });

    await t.test('a refused pull surfaces Docker\'s message as ImagePullError', async () => {
      const ref = '127.0.0.1:5999/flotilla/none:1'; // nothing listens there inside the node
      const started = performance.now();
      const err = await nodeA.pullImage(ref).catch((e: unknown) => e);
      assert.ok(err instanceof ImagePullError, String(err));
      assert.equal(err.image, ref);
      assert.match(err.message, /could not pull 127\.0\.0\.1:5999\/flotilla\/none:1 from registry 127\.0\.0\.1:5999: unreachable \(.*connection refused/);
      assert.equal(err.reason, 'unreachable');
      t.diagnostic(`refused in ${seconds(started)}: ${err.message}`);
    });

    await t.test('a registry that never answers is cut off by the pull timeout', async () => {
      // A TCP server on the host's side of the fleet bridge that accepts and stays silent:
      // the daemon waits in the TLS handshake; Flotilla must not wait with it.
      const held = new Set<Socket>();
      const silent = createServer((sock) => held.add(sock));
      await new Promise<void>((resolve) => silent.listen(0, fleet.gateway, resolve));
      const port = (silent.address() as AddressInfo).port;
      try {
        const impatient = EngineNode.fromSpec({ name: a.name, endpoint: a.endpoint }, { pullTimeoutMs: 3000 });
        const started = performance.now();
        const err = await impatient.pullImage(`${fleet.gateway}:${port}/flotilla/silent:1`).catch((e: unknown) => e);
        const took = performance.now() - started;
        assert.ok(err instanceof ImagePullError, String(err));
        assert.match(err.message, /did not finish within 3 s/);
        assert.ok(took < 5000, `took ${took} ms`);
        t.diagnostic(`silent registry cut off after ${seconds(started)}`);
        await impatient.ping(); // the node itself is fine
      } finally {
        for (const sock of held) sock.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    await t.test('a stopped daemon is NodeUnreachableError within seconds, over tcp and unix', async () => {
      const nodeC = overUnix[2] as EngineNode;
      const nodeCTcp = EngineNode.fromSpec({ name: c.name, endpoint: c.tcpEndpoint }, opts);
      await nodeC.ping();
      await nodeCTcp.ping(); // keep-alive sockets now exist to the daemon that is about to die
      await fleet.stopNode(c.name);
      for (const node of [nodeCTcp, nodeC]) {
        const started = performance.now();
        const err = await node.listContainers().catch((e: unknown) => e);
        const took = performance.now() - started;
        assert.ok(err instanceof NodeUnreachableError, String(err));
        t.diagnostic(`${node.connection.kind}: unreachable after ${seconds(started)}: ${err.message}`);
        assert.ok(took < 3000, `took ${took} ms`);
      }
      since = performance.now();
      await fleet.startNode(c.name);
      t.diagnostic(`node-c restarted in ${seconds(since)}`);
      // The same clients recover once the daemon is back: no stale connection is reused.
      await nodeC.ping();
      await nodeCTcp.ping();
    });
  } finally {
    since = performance.now();
    await fleet.stop();
    t.diagnostic(`fleet stopped in ${seconds(since)}`);
  }
});
