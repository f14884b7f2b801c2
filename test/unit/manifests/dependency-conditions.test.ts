// The long form of depends_on as loading reads it: conditions, one-shot jobs and their
// restart policy, `required: false`, and what engine: swarm makes of conditions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER, COMPOSE, assertProblems, loadInline } from './support.js';

const JOB_STACK = `services:
  db:
    image: postgres:16
  migrate:
    image: app:1
    command: ["migrate"]
  app:
    image: app:1
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
      cache: { condition: service_started, required: false }
`;

test('conditions are read per dependency; the job restarts never; a missing optional dependency is a warning', async () => {
  const result = await loadInline(JOB_STACK);
  assert.deepEqual(result.problems, []);
  const services = result.state?.stacks[0]?.services ?? [];
  const app = services.find((s) => s.name === 'app');
  const migrate = services.find((s) => s.name === 'migrate');
  assert.deepEqual(app?.dependsOn, ['db', 'migrate']);
  assert.deepEqual(app?.dependencyConditions, { db: { condition: 'service_healthy', required: true }, migrate: { condition: 'service_completed_successfully', required: true } });
  assert.equal(migrate?.runsOnce, true);
  assert.equal(migrate?.restart, 'no');
  assert.equal(services.find((s) => s.name === 'db')?.runsOnce, undefined);
  assert.deepEqual(result.warnings?.map((w) => `${w.line}: ${w.message}`), ['12: depends_on names "cache", which is not a service of this stack; skipped because of `required: false`']);
});

test('the short form stays ordering only', async () => {
  const result = await loadInline(`services:\n  db: { image: postgres:16 }\n  app: { image: app:1, depends_on: [db] }\n`);
  const app = result.state?.stacks[0]?.services.find((s) => s.name === 'app');
  assert.deepEqual(app?.dependsOn, ['db']);
  assert.equal(app?.dependencyConditions, undefined);
});

test('a restart policy that would run a finished job again is refused, naming both services', async () => {
  const compose = JOB_STACK.replace('    command: ["migrate"]\n', '    command: ["migrate"]\n    restart: always\n    deploy: { restart_policy: { condition: on-failure } }\n');
  assertProblems(await loadInline(compose), [
    { file: COMPOSE, line: 7, message: /^restart: always would run "migrate" runs once to completion \("app" depends on it with condition: service_completed_successfully\) again after it exits; remove `restart` or write restart: "no"$/ },
    { file: COMPOSE, line: 8, message: /deploy.restart_policy condition on-failure would run "migrate" .* remove it or write condition: none/ },
  ]);
});

test('a required dependency that is not in the stack is still an error', async () => {
  assertProblems(await loadInline(`services:\n  app:\n    image: app:1\n    depends_on: { dbb: { condition: service_healthy } }\n`), [
    { file: COMPOSE, line: 4, message: /depends_on names "dbb", which is not a service of this stack/ },
  ]);
});

test('with engine: swarm a condition is a warning: Swarm orders but does not wait', async () => {
  const swarm = CLUSTER.replace('spec:\n', 'spec:\n  engine: swarm\n  swarm: { manager: [unix:///var/run/docker.sock] }\n');
  const result = await loadInline(JOB_STACK.replace('      cache: { condition: service_started, required: false }\n', ''), {}, swarm);
  assert.deepEqual(result.problems.map((p) => p.message), []);
  assert.deepEqual(result.warnings?.map((w) => w.message), [
    'condition: service_healthy is not waited for with engine: swarm (Swarm has no depends_on); "app" is rolled after "db", but may start before "db" is healthy',
    'condition: service_completed_successfully is not waited for with engine: swarm (Swarm has no depends_on); "app" is rolled after "migrate", but may start before "migrate" is done',
  ]);
});

test('platform is checked for its form and normalized', async () => {
  const ok = await loadInline(`services:\n  app: { image: app:1, platform: linux/aarch64 }\n`);
  assert.equal(ok.state?.stacks[0]?.services[0]?.platform, 'linux/arm64');
  assertProblems(await loadInline(`services:\n  app: { image: app:1, platform: arm64 }\n`), [
    { file: COMPOSE, line: 2, message: /platform "arm64" is not of the form os\/arch\[\/variant\]/ },
  ]);
});
