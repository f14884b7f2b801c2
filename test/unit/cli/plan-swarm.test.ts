// `flotilla plan` of an engine: swarm cluster goes through the Swarm engine: against the live
// services of a (nock-served) manager, and with --base against the swarm as the base commit
// would leave it, without contacting any manager. Either way the plan lists services.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from '../notify/nock.js';
import { planCommand } from '../../../src/cli/plan.js';
import type { CommandIO } from '../../../src/cli/io.js';
import { cleanup, LocalRepo, swarmClusterFiles } from '../review/support.js';

after(cleanup);
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

function capture(): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

async function repo(): Promise<LocalRepo> {
  const r = await LocalRepo.create();
  await r.commit(swarmClusterFiles({ web: ['example/web:1', 2], api: ['example/api:1', 2], legacy: ['example/legacy:1', 1] }), 'base');
  await r.commitOnRef('refs/heads/feature', swarmClusterFiles({ web: ['example/web:2', 2], api: ['example/api:1', 3], worker: ['example/worker:1', 1] }), 'change');
  return r;
}

test('plan --base of a swarm lists service changes with field diffs, and contacts no manager', async () => {
  nock.disableNetConnect();
  const r = await repo();
  const io = capture();
  const code = await planCommand(['--repo', r.dir, '--ref', 'feature', '--base', 'main', '--detailed-exitcode', '--state-dir', `${r.dir}/.flotilla`], io);
  assert.equal(code, 2, io.stderr.join('\n'));
  const text = io.stdout.join('\n');
  assert.match(text, /shop\/web\n  ~ updated shop_web on swarm: the spec in Git changed: TaskTemplate\.ContainerSpec\.Image\n {6}TaskTemplate\.ContainerSpec\.Image: example\/web:1 -> example\/web:2\n/);
  assert.match(text, /~ scaled 2 -> 3 shop_api on swarm/);
  assert.match(text, /\+ created shop_worker on swarm/);
  assert.match(text, /- removed shop_legacy on swarm/);
  assert.match(text, /Plan: 1 to create, 2 to replace, 1 to remove\./);
});

test('plan of a swarm with nothing live plans every service as created through the manager', async () => {
  nock.disableNetConnect();
  const r = await repo();
  const manager = nock('http://swarm-manager.test:2375')
    .get('/nodes').reply(200, [{ ID: 'N1', Version: { Index: 1 }, Description: { Hostname: 'n1' }, Spec: { Role: 'manager', Availability: 'active', Labels: {} }, Status: { State: 'ready' } }])
    .get('/services').reply(200, [])
    .get('/tasks').reply(200, [])
    .get('/networks').query(true).reply(200, [])
    .get('/configs').query(true).reply(200, [])
    .get('/secrets').query(true).reply(200, []);
  const io = capture();
  const code = await planCommand(['--repo', r.dir, '--ref', 'feature', '--format', 'json', '--state-dir', `${r.dir}/.flotilla`], io);
  assert.equal(code, 0, io.stderr.join('\n'));
  assert.ok(manager.isDone());
  const plan = JSON.parse(io.stdout.join('\n')) as { actions: Array<{ type: string; verb?: string; service: string }> };
  assert.deepEqual(plan.actions.filter((a) => a.type.startsWith('service-')).map((a) => [a.verb, a.service]), [['created', 'web'], ['created', 'api'], ['created', 'worker']]);
});
