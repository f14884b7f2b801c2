// engine: swarm on a real one-manager-two-worker swarm (issue 12): Flotilla creates one Swarm
// service per Compose service, rolls image changes through Swarm, reverts the whole cluster
// and quarantines a commit whose tasks turn unhealthy, heals a hand-made
// `docker service update`, prunes a service dropped from Git, and a task reaches another
// service's tasks by name across nodes on the stack's overlay network (dnsrr: no IPVS here),
// reports a worker an operator drained while Swarm moves its tasks (and never undrains it), and
// configures the routing mesh (VIP and ingress port) as Compose asks; no IPVS here to carry traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { requireDocker } from '../support/requirements.js';
import { startSwarm, type TestSwarm } from '../support/swarm.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, webService, type ClusterConfig } from '../support/config-repo.js';
import { metricValue, reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { WEB_BODY, WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2 } from '../support/images.js';
import { httpGet, waitFor } from '../support/wait.js';
import { dockerRequest } from '../support/docker-socket.js';

const WEB_PORT = 18480;
const MESH_PORT = 18482;
const ZONES: Record<string, string> = { 'node-a': 'a', 'node-b': 'b', 'node-c': 'c' };
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`;

interface Shape {
  webImage: string;
  apiReplicas: number;
  apiGen: number;
  withApi: boolean;
  /** The probe is pinned to node-c until the drain test lets Swarm move it. */
  probeOnC: boolean;
  /** A service published through the routing mesh (ingress, VIP), added last. */
  withMesh?: boolean;
}

function services(s: Shape): Record<string, unknown> {
  const web = webService({ image: s.webImage, replicas: 2, constraints: ['node.labels.zone!=c'], parallelism: 1 });
  // mode host: the routing mesh needs IPVS, which this kernel lacks; dnsrr for the same reason.
  web.ports = [{ target: 80, published: WEB_PORT, mode: 'host' }];
  (web.deploy as Record<string, unknown>).endpoint_mode = 'dnsrr';
  const probe = webService(s.probeOnC ? { constraints: ['node.name==node-c'] } : {});
  const api = webService({ replicas: s.apiReplicas, environment: { GEN: String(s.apiGen) } });
  // The routing mesh's defaults: a VIP and an ingress-published port (no IPVS here to carry traffic).
  const mesh = webService({ replicas: 2, port: MESH_PORT });
  return { web, probe, ...(s.withApi ? { api } : {}), ...(s.withMesh ? { mesh } : {}) };
}

async function serviceJson(swarm: TestSwarm, name: string): Promise<{ Spec: { Labels: Record<string, string>; TaskTemplate: { ContainerSpec: { Image: string; Env?: string[] } }; Mode: { Replicated?: { Replicas: number } } }; UpdateStatus?: { State: string } }> {
  return JSON.parse(await swarm.docker(['service', 'inspect', name]))[0];
}

async function runningTasks(swarm: TestSwarm, name: string): Promise<string[]> {
  const out = await swarm.docker(['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.Image}} {{.CurrentState}}']);
  return out.split('\n').filter((l) => / Running /.test(l));
}

/** Swarm tasks running on each node, read from the node's own daemon. */
async function tasksByNode(swarm: TestSwarm): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const node of swarm.fleet.nodes) {
    // Started and past its healthcheck: Swarm counts a task as running only then.
    const lines = await swarm.docker(['ps', '--filter', 'label=com.docker.swarm.service.name', '--format', '{{.Label "com.docker.swarm.service.name"}}\t{{.Status}}'], node);
    out[node.name] = lines.split('\n').filter((l) => l && !/health: starting/.test(l)).map((l) => l.split('\t')[0] as string).sort();
  }
  return out;
}

/** `docker node update --availability`, as the Engine API takes it: the whole spec, at the version read. */
async function setAvailability(swarm: TestSwarm, node: string, availability: 'active' | 'drain'): Promise<void> {
  const socketPath = swarm.managerEndpoint.replace(/^unix:\/\//, '');
  const inspected = await dockerRequest({ socketPath, method: 'GET', path: `/nodes/${node}` });
  assert.equal(inspected.status, 200, inspected.body);
  const info = JSON.parse(inspected.body) as { ID: string; Version: { Index: number }; Spec: Record<string, unknown> };
  const body = Buffer.from(JSON.stringify({ ...info.Spec, Availability: availability }));
  const updated = await dockerRequest({ socketPath, method: 'POST', path: `/nodes/${info.ID}/update?version=${info.Version.Index}`, body, headers: { 'content-type': 'application/json', 'content-length': String(body.length) } });
  assert.equal(updated.status, 200, updated.body);
}

test('engine swarm: deploy, scale, roll, revert and quarantine, heal, prune, names across nodes', async (t) => {
  if (!requireDocker(t)) return;
  const started = performance.now();
  const swarm = await startSwarm('swarm');
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    t.diagnostic(`swarm of 3 up in ${seconds(started)}`);
    const config = (s: Shape): ClusterConfig => ({
      name: 'sw',
      swarm: { manager: [swarm.managerEndpoint] },
      nodes: swarm.fleet.nodes.map((n) => ({ name: n.name, labels: { zone: ZONES[n.name] as string } })),
      stacks: { shop: { services: services(s) } },
    });
    let shape: Shape = { webImage: WEB_HEALTHY, apiReplicas: 1, apiGen: 1, withApi: true, probeOnC: true };
    const { repo } = await ConfigRepo.create(git, 'config', config(shape));
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    const commit = async (change: Partial<Shape>, message: string): Promise<string> => {
      shape = { ...shape, ...change };
      return repo.commit(config(shape), message);
    };
    const webAnswers = async (image: string): Promise<void> => {
      for (const node of ['node-a', 'node-b']) {
        const { body } = await httpGet(`http://${swarm.fleet.node(node).address}:${WEB_PORT}/`);
        assert.equal(body, WEB_BODY[image as keyof typeof WEB_BODY], `web on ${node}`);
      }
    };

    await t.test('initial deploy: one Swarm service per Compose service, labelled, node labels from Git', async () => {
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`initial converge ${seconds(since)}`);
      const web = await serviceJson(swarm, 'shop_web');
      assert.equal(web.Spec.Labels['flotilla.managed'], 'true');
      assert.equal(web.Spec.Labels['flotilla.cluster'], 'sw');
      assert.match(web.Spec.Labels['flotilla.spec-hash'] ?? '', /^[0-9a-f]{16}$/);
      assert.equal((await runningTasks(swarm, 'shop_web')).length, 2);
      assert.equal((await runningTasks(swarm, 'shop_probe')).length, 1);
      assert.equal((await runningTasks(swarm, 'shop_api')).length, 1);
      for (const [node, zone] of Object.entries(ZONES)) assert.equal(await swarm.docker(['node', 'inspect', node, '--format', '{{index .Spec.Labels "zone"}}']), zone);
      await webAnswers(WEB_HEALTHY);
      const network = JSON.parse(await swarm.docker(['network', 'inspect', 'shop_default']))[0];
      assert.equal(network.Driver, 'overlay');
      assert.equal(network.Attachable, true);
      assert.equal(flotilla.status().services.every((s) => s.inSync), true);
      // A second reconcile of the same commit changes nothing.
      await reconcileExpecting(flotilla, 'unchanged');
    });

    await t.test('a task resolves another service by name across nodes on the overlay (dnsrr)', async () => {
      const probeNode = swarm.fleet.node('node-c');
      const id = await swarm.docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=shop_probe'], probeNode);
      assert.ok(id, 'the probe task runs on node-c');
      const answer = await waitFor('web by name from node-c', async () => {
        const out = await swarm.docker(['exec', id, 'sh', '-c', "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web 80"], probeNode);
        return out.includes(WEB_BODY[WEB_HEALTHY].trim()) ? out : undefined;
      }, { timeoutMs: 20_000, intervalMs: 500 });
      assert.match(answer, /200 OK/);
    });

    await t.test('scale: replicas in Git become the service replica count', async () => {
      await commit({ apiReplicas: 3 }, 'scale api');
      await reconcileExpecting(flotilla, 'success');
      assert.equal((await serviceJson(swarm, 'shop_api')).Spec.Mode.Replicated?.Replicas, 3);
      assert.equal((await runningTasks(swarm, 'shop_api')).length, 3);
    });

    await t.test('an image change rolls through Swarm', async () => {
      await commit({ webImage: WEB_V2 }, 'web v2');
      await reconcileExpecting(flotilla, 'success');
      const web = await serviceJson(swarm, 'shop_web');
      assert.equal(web.Spec.TaskTemplate.ContainerSpec.Image, WEB_V2);
      assert.equal(web.UpdateStatus?.State, 'completed');
      await webAnswers(WEB_V2);
    });

    await t.test('a commit whose tasks turn unhealthy is reverted for the whole cluster and quarantined', async () => {
      const good = flotilla.status().lastGoodRevision;
      const bad = await commit({ webImage: WEB_UNHEALTHY, apiGen: 2 }, 'unhealthy web, api gen 2');
      const since = performance.now();
      await reconcileExpecting(flotilla, 'reverted');
      t.diagnostic(`failed rollout and whole-cluster revert ${seconds(since)}`);
      assert.ok(flotilla.status().quarantined.some((q) => q.revision === bad));
      assert.equal(flotilla.status().appliedRevision, good);
      assert.equal((await serviceJson(swarm, 'shop_web')).Spec.TaskTemplate.ContainerSpec.Image, WEB_V2);
      // api rolled to GEN=2 before or while web failed; the revert put it back too.
      assert.ok((await serviceJson(swarm, 'shop_api')).Spec.TaskTemplate.ContainerSpec.Env?.includes('GEN=1'));
      await waitFor('web v2 answering again', async () => ((await runningTasks(swarm, 'shop_web')).length === 2 ? true : undefined), { timeoutMs: 30_000 });
      await webAnswers(WEB_V2);
      // Polling the quarantined head keeps the cluster on the last good commit.
      await reconcileExpecting(flotilla, 'unchanged');
    });

    await t.test('a hand-made docker service update --image is healed', async () => {
      await commit({ webImage: WEB_V2, apiGen: 1 }, 'back to v2 (same spec as the good commit)');
      await reconcileExpecting(flotilla, 'success');
      await swarm.docker(['service', 'update', '--detach', '--no-resolve-image', '--image', WEB_HEALTHY, 'shop_web']);
      await reconcileExpecting(flotilla, 'success');
      assert.equal((await serviceJson(swarm, 'shop_web')).Spec.TaskTemplate.ContainerSpec.Image, WEB_V2);
      await webAnswers(WEB_V2);
    });

    await t.test('a service dropped from Git is pruned', async () => {
      await commit({ withApi: false }, 'drop api');
      await reconcileExpecting(flotilla, 'success');
      const names = (await swarm.docker(['service', 'ls', '--format', '{{.Name}}'])).split('\n').sort();
      assert.deepEqual(names, ['shop_probe', 'shop_web']);
    });

    await t.test('a worker drained by hand is reported as drained, Swarm moves its tasks, Flotilla leaves it drained', async () => {
      const since = performance.now();
      await commit({ probeOnC: false }, 'the probe may run on any node');
      await reconcileExpecting(flotilla, 'success');
      const before = await tasksByNode(swarm);
      t.diagnostic(`before the drain: ${JSON.stringify(before)}`);
      await setAvailability(swarm, 'node-c', 'drain');
      try {
        // Read on the nodes themselves: every service runs its replicas, none on node-c.
        const after = await waitFor('tasks moved off node-c', async () => {
          const now = await tasksByNode(swarm);
          const count = (svc: string): number => ['node-a', 'node-b'].reduce((n, node) => n + (now[node]?.filter((x) => x === svc).length ?? 0), 0);
          return (now['node-c'] ?? []).length === 0 && count('shop_web') === 2 && count('shop_probe') === 1 ? now : undefined;
        }, { timeoutMs: 30_000, intervalMs: 500 });
        t.diagnostic(`after the drain: ${JSON.stringify(after)}`);
        await reconcileExpecting(flotilla, 'unchanged');
        const node = flotilla.status().nodes.find((n) => n.name === 'node-c');
        assert.equal(node?.up, true);
        assert.equal(node?.availability, 'drain');
        assert.equal(node?.schedulable, false);
        assert.match(node?.note ?? '', /drained by an operator/);
        assert.equal(flotilla.status().nodes.find((n) => n.name === 'node-a')?.schedulable, true);
        assert.equal(metricValue(await flotilla.app.metrics.registry.metrics(), 'flotilla_node_up', { node: 'node-c' }), 1);
        const outOfSync = flotilla.status().services.filter((s) => !s.inSync);
        assert.deepEqual(outOfSync.map((s) => [s.service, s.drift]), [], 'every service is in sync on the remaining nodes');
        // Flotilla never undrains a node: that was an operator's decision.
        assert.equal(await swarm.docker(['node', 'inspect', 'node-c', '--format', '{{.Spec.Availability}}']), 'drain');
      } finally {
        await setAvailability(swarm, 'node-c', 'active');
      }
      t.diagnostic(`drain test ${seconds(since)}`);
    });

    await t.test('the routing mesh is configured as Compose asks: a VIP on the stack network and the ingress, the port published in ingress mode', async () => {
      // This kernel has no IPVS, so no traffic crosses the mesh; what Flotilla owns is the spec Swarm accepted.
      await commit({ withMesh: true }, 'add a service behind the routing mesh');
      await reconcileExpecting(flotilla, 'success');
      const inspected = JSON.parse(await swarm.docker(['service', 'inspect', 'shop_mesh']))[0] as { Endpoint: { Spec: { Mode: string; Ports?: unknown[] }; Ports?: unknown[]; VirtualIPs?: Array<{ NetworkID: string; Addr: string }> } };
      const ingressPort = { Protocol: 'tcp', TargetPort: 80, PublishedPort: MESH_PORT, PublishMode: 'ingress' };
      assert.equal(inspected.Endpoint.Spec.Mode, 'vip');
      assert.deepEqual(inspected.Endpoint.Spec.Ports, [ingressPort]);
      assert.deepEqual(inspected.Endpoint.Ports, [ingressPort], 'Swarm published the port on the ingress network');
      const networkOf = async (id: string): Promise<string> => swarm.docker(['network', 'inspect', id, '--format', '{{.Name}}']);
      const vipNetworks = (await Promise.all((inspected.Endpoint.VirtualIPs ?? []).map((v) => networkOf(v.NetworkID)))).sort();
      assert.deepEqual(vipNetworks, ['ingress', 'shop_default'], `virtual IPs: ${JSON.stringify(inspected.Endpoint.VirtualIPs)}`);
      assert.equal((await runningTasks(swarm, 'shop_mesh')).length, 2);
    });
  } finally {
    closeFlotilla();
    await git.close();
    await swarm.stop();
    t.diagnostic(`whole test ${seconds(started)}`);
  }
});
