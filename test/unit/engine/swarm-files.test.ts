// Configs, secrets and repo files on engine: swarm: Swarm config and secret objects named by
// content, referenced from the task's ContainerSpec with Compose's file defaults; a changed
// file is a new object and a plan line naming the file; old objects go after the services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadInline } from '../manifests/support.js';
import { desiredService } from '../../../src/engine/swarm/service-spec.js';
import { planSwarm } from '../../../src/engine/swarm/diff.js';
import type { SwarmObservation, SwarmService } from '../../../src/engine/swarm/swarm-types.js';
import type { EnginePlanOptions } from '../../../src/engine/engine.js';
import type { DesiredState } from '../../../src/manifests/model.js';

const SWARM_CLUSTER = 'apiVersion: flotilla/v1alpha1\nkind: Cluster\nmetadata: { name: c }\nspec:\n  engine: swarm\n  swarm: { manager: ["unix:///var/run/docker.sock"] }\n  nodes:\n    - name: m1\n  stacks:\n    - name: app\n      compose: stacks/app/compose.yaml\n';
const PASSWORD = 'correct-horse-battery';
const COMPOSE = `services:
  web:
    image: nginx:1.27
    configs:
      - nginx.conf
      - source: motd
        target: /etc/motd
        mode: 0440
        uid: "101"
        gid: "101"
    secrets: [db_password]
    volumes:
      - ./site.txt:/srv/site.txt:ro
configs:
  nginx.conf:
    file: ./nginx.conf
  motd:
    content: hello
secrets:
  db_password:
    file: ./db_password.txt
`;
const SYNC: EnginePlanOptions = { selfHeal: true, prune: true, commit: 'c1', mode: 'sync' };
const sha10 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 10);

async function load(nginx = 'events {}\n'): Promise<DesiredState> {
  const result = await loadInline(COMPOSE, { 'stacks/app/nginx.conf': nginx, 'stacks/app/db_password.txt': PASSWORD, 'stacks/app/site.txt': 'site\n' }, SWARM_CLUSTER);
  assert.deepEqual(result.problems, []);
  assert.ok(result.state);
  return result.state;
}

function want(d: DesiredState) {
  const stack = d.stacks[0]!;
  return desiredService('c', stack, stack.services[0]!, 'c0');
}

type Ref = { File: { Name: string; UID: string; GID: string; Mode: number }; ConfigName?: string; SecretName?: string; ConfigID?: string; SecretID?: string };
const container = (spec: { TaskTemplate: Record<string, unknown> }) => spec.TaskTemplate.ContainerSpec as { Configs?: Ref[]; Secrets?: Ref[] };

/** The service as Docker stores it: references carry IDs. */
function live(d: DesiredState, ids: Map<string, string>): SwarmService {
  const spec = JSON.parse(JSON.stringify(want(d).spec));
  for (const n of spec.TaskTemplate.Networks ?? []) if (n.Target === 'app_default') n.Target = 'net1';
  for (const r of spec.TaskTemplate.ContainerSpec.Configs ?? []) r.ConfigID = ids.get(`config ${r.ConfigName}`);
  for (const r of spec.TaskTemplate.ContainerSpec.Secrets ?? []) r.SecretID = ids.get(`secret ${r.SecretName}`);
  return { id: 'svc1', version: 4, name: 'app_web', labels: spec.Labels, spec, updateState: 'completed', updateMessage: '' };
}

function observation(d: DesiredState, services: SwarmService[]): { o: SwarmObservation; ids: Map<string, string> } {
  const objects = want(d).objects.map((x, i) => ({ kind: x.kind, id: `obj${i}`, name: x.name, labels: x.labels }));
  const o: SwarmObservation = { manager: 'm', services, tasks: [], nodes: [], networks: [{ id: 'net1', name: 'app_default', labels: {} }], objects };
  return { o, ids: new Map(objects.map((x) => [`${x.kind} ${x.name}`, x.id])) };
}

test('each config, secret and repo file is a Swarm object named <stack>_<name>-<10 hex of its content>, referenced with Compose file defaults', async () => {
  const w = want(await load());
  const { Configs = [], Secrets = [] } = container(w.spec);
  assert.deepEqual(Configs.map((r) => [r.ConfigName, r.File]), [
    ['app_motd-' + sha10('hello'), { Name: '/etc/motd', UID: '101', GID: '101', Mode: 0o440 }],
    ['app_nginx.conf-' + sha10('events {}\n'), { Name: '/nginx.conf', UID: '0', GID: '0', Mode: 0o444 }],
    ['app_site.txt-' + sha10('site\n'), { Name: '/srv/site.txt', UID: '0', GID: '0', Mode: 0o444 }],
  ]);
  assert.equal(Secrets.length, 1);
  assert.deepEqual(Secrets[0]?.File, { Name: '/run/secrets/db_password', UID: '0', GID: '0', Mode: 0o444 });
  // A secret is named by its keyed digest, never a plain hash of the password.
  assert.match(Secrets[0]?.SecretName ?? '', /^app_db_password-[0-9a-f]{10}$/);
  assert.notEqual(Secrets[0]?.SecretName, `app_db_password-${sha10(PASSWORD)}`);
  assert.deepEqual(w.objects.map((x) => x.labels['flotilla.managed'] + ' ' + x.labels['flotilla.cluster'] + ' ' + x.labels['flotilla.stack']), Array(4).fill('true c app'));
  const visible = JSON.stringify([w.spec, w.objects]);
  assert.ok(!visible.includes(PASSWORD), 'neither the spec nor the planned objects hold the secret in clear');
});

test('a service whose objects all exist is in sync once their IDs are filled in', async () => {
  const d = await load();
  const first = observation(d, []);
  const { o } = observation(d, [live(d, first.ids)]);
  const plan = planSwarm(d, o, SYNC, []);
  assert.deepEqual(plan.actions, []);
  const missing = planSwarm(d, { ...first.o, objects: [] }, SYNC, []);
  assert.deepEqual(missing.actions.map((a) => a.type), ['config-create', 'config-create', 'secret-create', 'config-create', 'service-create']);
  assert.equal(JSON.stringify(missing.actions).includes(PASSWORD), false, 'a planned secret-create serializes without its content');
});

test('a changed config file is a new object, made first, an update saying `config nginx.conf changed`, and the old object removed last', async () => {
  const before = await load('events {}\n');
  const { o, ids } = observation(before, []);
  o.services = [live(before, ids)];
  const after = await load('events { worker_connections 64; }\n');
  const plan = planSwarm(after, o, SYNC, []);
  assert.deepEqual(plan.actions.map((a) => a.type), ['config-create', 'service-update', 'config-remove']);
  const [create, update, remove] = plan.actions;
  assert.ok(create?.type === 'config-create' && create.name === `app_nginx.conf-${sha10('events { worker_connections 64; }\n')}`);
  assert.ok(update?.type === 'service-update');
  assert.match(update.reason, /^config nginx\.conf changed; the spec in Git changed: /);
  assert.ok(update.fields.includes('TaskTemplate.ContainerSpec.Configs'));
  assert.notEqual(update.spec.Labels['flotilla.spec-hash'], o.services[0]?.labels['flotilla.spec-hash']);
  // The unchanged objects keep their IDs in the sent spec; the new one gets its ID in apply.
  const sent = container(update.spec).Configs ?? [];
  assert.deepEqual(sent.map((r) => r.ConfigID !== undefined), [true, false, true]);
  assert.ok(remove?.type === 'config-remove' && remove.name === `app_nginx.conf-${sha10('events {}\n')}`);
});

test('a changed secret plans as `secret db_password changed`, never with its content', async () => {
  const before = await load();
  const { o, ids } = observation(before, []);
  o.services = [live(before, ids)];
  const rotated = await loadInline(COMPOSE, { 'stacks/app/nginx.conf': 'events {}\n', 'stacks/app/db_password.txt': 'rotated-pass-77', 'stacks/app/site.txt': 'site\n' }, SWARM_CLUSTER);
  const plan = planSwarm(rotated.state!, o, SYNC, []);
  assert.deepEqual(plan.actions.map((a) => a.type), ['secret-create', 'service-update', 'secret-remove']);
  assert.match(plan.actions[1]?.reason ?? '', /^secret db_password changed; /);
  const text = JSON.stringify(plan);
  assert.ok(!text.includes('rotated-pass-77') && !text.includes(PASSWORD));
});

test('an object still named by a service Flotilla keeps (prune off) is not removed', async () => {
  const d = await load();
  const { o, ids } = observation(d, []);
  const old = live(d, ids);
  const dropped = { ...old, id: 'svc2', name: 'app_old', labels: { ...old.labels, 'flotilla.service': 'old' } };
  const withoutWeb = await loadInline('services:\n  api:\n    image: nginx:1.27\n', {}, SWARM_CLUSTER);
  const kept = planSwarm(withoutWeb.state!, { ...o, services: [dropped] }, { ...SYNC, prune: false }, []);
  assert.deepEqual(kept.actions.map((a) => a.type), ['service-create']);
  const pruned = planSwarm(withoutWeb.state!, { ...o, services: [dropped] }, SYNC, []);
  assert.deepEqual(pruned.actions.map((a) => a.type), ['service-create', 'service-remove', 'config-remove', 'config-remove', 'secret-remove', 'config-remove']);
});

test('engine swarm takes configs and secrets; a bind-mounted repo folder is refused naming the key', async () => {
  await load();
  const folder = await loadInline('services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./html:/usr/share/nginx/html\n', { 'stacks/app/html/index.html': '<h1>hi</h1>\n' }, SWARM_CLUSTER);
  assert.deepEqual(folder.problems.map((p) => [p.line, p.pointer]), [[5, '/services/web/volumes/0']]);
  assert.match(folder.problems[0]?.message ?? '', /repo folder \.\/html in `services\.web\.volumes` is not supported with engine: swarm: .*a config is one file/);
});

test('a secret over Swarm\'s 500 KiB is refused for engine swarm, naming the service and the secret', async () => {
  const big = await loadInline('services:\n  web:\n    image: nginx:1.27\n    secrets: [blob]\nsecrets:\n  blob:\n    file: ./blob.bin\n', { 'stacks/app/blob.bin': 'x'.repeat(501 * 1024) }, SWARM_CLUSTER);
  assert.deepEqual(big.problems.map((p) => p.pointer), ['/services/web']);
  assert.match(big.problems[0]?.message ?? '', /secret blob of `services\.web` has 513024 bytes; Swarm takes a secret of at most 500 KiB/);
});
