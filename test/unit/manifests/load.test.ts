// loadDesiredState as a whole: choosing the cluster, collecting every problem, and
// loading stacks from any reader.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { CLUSTER, loadInline, memoryReader } from './support.js';

const WEB = 'services:\n  web:\n    image: nginx:1.27\n';

test('with several clusters and no path, loading asks for --path and names the candidates', async () => {
  const reader = memoryReader({ 'clusters/a/cluster.yaml': CLUSTER, 'clusters/b/cluster.yaml': CLUSTER, 'stacks/app/compose.yaml': WEB });
  const result = await loadDesiredState(reader);
  assert.equal(result.state, undefined);
  assert.deepEqual(result.problems.map((p) => p.message), ['the repository declares several clusters (clusters/a, clusters/b); choose one with --path']);
  assert.ok((await loadDesiredState(reader, 'clusters/b')).state);
});

test('a directory under clusters/ without cluster.yaml is not a candidate', async () => {
  const reader = memoryReader({ 'clusters/a/cluster.yaml': CLUSTER, 'clusters/notes/README.md': 'x', 'stacks/app/compose.yaml': WEB });
  assert.equal((await loadDesiredState(reader)).clusterPath, 'clusters/a');
});

test('the state carries the reader revision and the stacks in cluster.yaml order', async () => {
  const cluster = CLUSTER + '    - name: second\n      compose: stacks/second/compose.yaml\n';
  const result = await loadDesiredState(memoryReader({ 'clusters/c/cluster.yaml': cluster, 'stacks/app/compose.yaml': WEB, 'stacks/second/compose.yaml': WEB }, 'abc123'));
  assert.deepEqual(result.problems, []);
  assert.equal(result.state?.revision, 'abc123');
  assert.deepEqual(result.state?.stacks.map((s) => s.name), ['app', 'second']);
});

test('a cluster schema error does not hide the errors of its stacks', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx\n    privileged: true\n', {}, CLUSTER.replace('name: c\n', 'name: c\n  owner: me\n'));
  assert.deepEqual(result.problems.map((p) => [p.file, p.line]), [['clusters/c/cluster.yaml', 5], ['stacks/app/compose.yaml', 4]]);
});

test('a constraint that cannot be read is not also reported as unsatisfiable placement', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 9\n      placement:\n        max_replicas_per_node: 1\n        constraints: ["node.labels.zone = a"]\n');
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]?.message ?? '', /is not of the form/);
});

test('an optional env_file that is missing is fine; a required one is not', async () => {
  const compose = 'services:\n  web:\n    image: nginx\n    env_file:\n      - path: optional.env\n        required: false\n';
  assert.deepEqual((await loadInline(compose)).problems, []);
  const required = await loadInline(compose.replace('required: false', 'required: true'));
  assert.match(required.problems[0]?.message ?? '', /env_file optional\.env does not exist/);
});

test('an absolute env_file path is refused: env files come from the commit', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx\n    env_file: /etc/environment\n');
  assert.match(result.problems[0]?.message ?? '', /env_file \/etc\/environment is not inside the repository/);
});

test('bare `environment` keys take their value from the stack .env, else are an error at the entry', async () => {
  const ok = await loadInline('services:\n  web:\n    image: nginx\n    environment: [TOKEN]\n', { 'stacks/app/.env': 'TOKEN=abc\n' });
  assert.deepEqual(ok.state?.stacks[0]?.services[0]?.environment, { TOKEN: 'abc' });
  const missing = await loadInline('services:\n  web:\n    image: nginx\n    environment:\n      - A=1\n      - TOKEN\n');
  assert.deepEqual(missing.problems.map((p) => [p.line, p.col, p.pointer]), [[6, 9, '/services/web/environment/1']]);
  assert.match(missing.problems[0]?.message ?? '', /environment variable TOKEN has no value/);
});

test('negative resources that the schema lets through are refused at the value', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx\n    deploy:\n      resources:\n        limits: { cpus: -1, memory: -5 }\n');
  assert.deepEqual(result.problems.map((p) => p.pointer), ['/services/web/deploy/resources/limits/cpus', '/services/web/deploy/resources/limits/memory']);
});

test('misplaced Swarm keys on a service are pointed to deploy:', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx\n    replicas: 2\n');
  assert.match(result.problems[0]?.message ?? '', /unknown key `replicas` in `services\.web`: `replicas` belongs under the service's `deploy:`/);
});

test('published ports with network_mode host or none are refused rather than silently dropped by Docker', async () => {
  const cluster = CLUSTER + '  policy:\n    allowHostNetwork: true\n';
  const result = await loadInline('services:\n  web:\n    image: nginx\n    network_mode: host\n    ports: ["80:80"]\n', {}, cluster);
  assert.deepEqual(result.problems.map((p) => [p.line, p.col, p.pointer]), [[5, 5, '/services/web/ports']]);
  assert.match(result.problems[0]?.message ?? '', /ports cannot be published with network_mode: host/);
  const none = await loadInline('services:\n  web:\n    image: nginx\n    network_mode: none\n    ports: ["80"]\n');
  assert.match(none.problems[0]?.message ?? '', /network_mode: none; remove `ports`/);
});
