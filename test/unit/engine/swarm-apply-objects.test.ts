// Running a swarm plan with config and secret objects against a scripted manager: objects
// are made before the service update that references them (with the IDs the manager gave),
// and an old object Swarm refuses to delete because it is still in use is kept for the next
// cycle, not a failed rollout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadInline } from '../manifests/support.js';
import { startFakeDockerApi } from '../docker/fake-docker-api.js';
import { desiredService } from '../../../src/engine/swarm/service-spec.js';
import { planSwarm } from '../../../src/engine/swarm/diff.js';
import { applySwarmPlan } from '../../../src/engine/swarm/apply.js';
import { SwarmManagers } from '../../../src/engine/swarm/manager-client.js';
import type { SwarmObservation } from '../../../src/engine/swarm/swarm-types.js';
import type { ExecutorEvent } from '../../../src/reconcile/execute/execution-types.js';

const CLUSTER = 'apiVersion: flotilla/v1alpha1\nkind: Cluster\nmetadata: { name: c }\nspec:\n  engine: swarm\n  swarm: { manager: ["unix:///var/run/docker.sock"] }\n  nodes:\n    - name: m1\n  stacks:\n    - name: app\n      compose: stacks/app/compose.yaml\n';
const COMPOSE = 'services:\n  web:\n    image: nginx:1.27\n    configs: [app.conf]\n    secrets: [token]\nconfigs:\n  app.conf:\n    file: ./app.conf\nsecrets:\n  token:\n    file: ./token.txt\n';

async function state(appConf: string) {
  const loaded = await loadInline(COMPOSE, { 'stacks/app/app.conf': appConf, 'stacks/app/token.txt': 'tok-123' }, CLUSTER);
  assert.deepEqual(loaded.problems, []);
  return loaded.state!;
}

test('objects are made before the service that references them, and one still in use is kept for the next cycle', async () => {
  const before = await state('gen=1\n');
  const old = desiredService('c', before.stacks[0]!, before.stacks[0]!.services[0]!, 'c0');
  const ids = new Map(old.objects.map((x, i) => [`${x.kind} ${x.name}`, `old${i}`]));
  const liveSpec = JSON.parse(JSON.stringify(old.spec));
  liveSpec.TaskTemplate.ContainerSpec.Configs[0].ConfigID = ids.get(`config ${old.objects[0]!.name}`);
  liveSpec.TaskTemplate.ContainerSpec.Secrets[0].SecretID = ids.get(`secret ${old.objects[1]!.name}`);
  const o: SwarmObservation = {
    manager: 'm', tasks: [], nodes: [], networks: [{ id: 'net1', name: 'app_default', labels: {} }],
    services: [{ id: 'svc1', version: 9, name: 'app_web', labels: liveSpec.Labels, spec: liveSpec, updateState: 'completed', updateMessage: '' }],
    objects: old.objects.map((x, i) => ({ kind: x.kind, id: `old${i}`, name: x.name, labels: x.labels })),
  };
  const after = await state('gen=2\n');
  const plan = planSwarm(after, o, { selfHeal: true, prune: true, commit: 'c1', mode: 'sync' }, []);
  assert.deepEqual(plan.actions.map((a) => a.type), ['config-create', 'service-update', 'config-remove']);

  const api = await startFakeDockerApi();
  try {
    let sent: Record<string, unknown> | undefined;
    api.on('POST', '/configs/create', { status: 201, json: { ID: 'new0' } });
    api.on('POST', '/services/svc1/update', (req) => {
      sent = JSON.parse(req.body);
      return { status: 200, json: {} };
    });
    // The update is done and its one task, of the new spec, was running before it: stable at once.
    api.on('GET', '/services/svc1', { status: 200, json: { ID: 'svc1', UpdatedAt: new Date(Date.now() + 3_600_000).toISOString(), UpdateStatus: { State: 'completed' } } });
    api.on('GET', '/tasks', () => ({ status: 200, json: [{ ID: 't1', DesiredState: 'running', CreatedAt: new Date(0).toISOString(), Status: { State: 'running' }, Spec: { ContainerSpec: (sent?.TaskTemplate as Record<string, unknown>)?.ContainerSpec } }] }));
    api.on('DELETE', '/configs/old0', { status: 400, json: { message: 'rpc error: code = InvalidArgument desc = config app_app.conf-x is in use by the following service: app_web' } });
    const events: ExecutorEvent[] = [];
    const result = await applySwarmPlan(new SwarmManagers([api.endpoint]), plan, after, { signal: AbortSignal.timeout(10_000), rollback: false, onEvent: (e) => events.push(e) });

    assert.equal(result.outcome, 'converged');
    const writes = api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(writes, ['POST /configs/create', 'POST /services/svc1/update', 'DELETE /configs/old0']);
    const create = JSON.parse(api.requests.find((r) => r.path === '/configs/create')!.body);
    assert.equal(Buffer.from(create.Data, 'base64').toString(), 'gen=2\n');
    assert.equal(create.Labels['flotilla.managed'], 'true');
    const refs = (sent?.TaskTemplate as { ContainerSpec: { Configs: Array<{ ConfigID: string; ConfigName: string }>; Secrets: Array<{ SecretID: string }> } }).ContainerSpec;
    assert.deepEqual(refs.Configs.map((r) => [r.ConfigID, r.ConfigName]), [['new0', create.Name]]);
    assert.equal(refs.Secrets[0]?.SecretID, 'old1', 'the unchanged secret keeps its object');
    const kept = events.find((e) => e.phase === 'skipped');
    assert.match(kept?.message ?? '', /is kept until the next cycle: .*in use/);
  } finally {
    await api.close();
  }
});
