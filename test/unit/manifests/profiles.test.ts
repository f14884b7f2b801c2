// Compose profiles: cluster.yaml enables them per stack; services without profiles always
// run, services whose profiles are all disabled are not deployed, and depending on one is an
// error that says how to fix it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblems, CLUSTER, CLUSTER_FILE, COMPOSE, loadInline } from './support.js';

const COMPOSE_WITH_PROFILES = `services:
  web:
    image: nginx:1.27
  debug:
    image: busybox:1
    profiles: [debug]
  exporter:
    image: prom/node-exporter:v1
    profiles: [monitoring, debug]
`;

const withProfiles = (profiles: string) => CLUSTER.replace('compose: stacks/app/compose.yaml', `compose: stacks/app/compose.yaml\n      profiles: ${profiles}`);
const names = async (compose: string, cluster = CLUSTER) => {
  const result = await loadInline(compose, {}, cluster);
  assert.deepEqual(result.problems, []);
  return result.state?.stacks[0]?.services.map((s) => s.name);
};

test('with no profiles enabled only the services without profiles are deployed, as in Compose', async () => {
  assert.deepEqual(await names(COMPOSE_WITH_PROFILES), ['web']);
});

test('enabling one profile adds every service that lists it', async () => {
  assert.deepEqual(await names(COMPOSE_WITH_PROFILES, withProfiles('[monitoring]')), ['web', 'exporter']);
  assert.deepEqual(await names(COMPOSE_WITH_PROFILES, withProfiles('[debug]')), ['web', 'debug', 'exporter']);
});

test('profiles: ["*"] enables every profile', async () => {
  assert.deepEqual(await names(COMPOSE_WITH_PROFILES, withProfiles('["*"]')), ['web', 'debug', 'exporter']);
});

test('depends_on onto a service left out by profiles is an error naming the profiles and the fix', async () => {
  const compose = 'services:\n  web:\n    image: nginx:1.27\n    depends_on: [debug]\n  debug:\n    image: busybox:1\n    profiles: [debug]\n';
  assertProblems(await loadInline(compose), [{ file: COMPOSE, line: 4, message: /service "web" depends on "debug", which runs only with profile\(s\) debug, none of which cluster.yaml enables for stack app; add one to spec.stacks\[\]\.profiles/ }]);
  assert.deepEqual(await names(compose, withProfiles('[debug]')), ['web', 'debug']);
});

test('an optional dependency (required: false) on a left-out service is dropped, not an error', async () => {
  const compose = 'services:\n  web:\n    image: nginx:1.27\n    depends_on:\n      debug: { condition: service_started, required: false }\n  debug:\n    image: busybox:1\n    profiles: [debug]\n';
  const result = await loadInline(compose);
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.state?.stacks[0]?.services[0]?.dependsOn, []);
});

test('a profile name that is not a Compose name is a schema error in cluster.yaml', async () => {
  const result = await loadInline(COMPOSE_WITH_PROFILES, {}, withProfiles('["-x"]'));
  assert.equal(result.state, undefined);
  assert.equal(result.problems[0]?.file, CLUSTER_FILE);
  assert.match(result.problems[0]?.message ?? '', /profiles/);
});

test('the cluster records the enabled profiles of each stack', async () => {
  const result = await loadInline(COMPOSE_WITH_PROFILES, {}, withProfiles('[monitoring]'));
  assert.deepEqual(result.state?.cluster.stacks[0]?.profiles, ['monitoring']);
});
