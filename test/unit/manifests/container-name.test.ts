// `container_name`: accepted on a service with exactly one replica, refused with the reason
// and the way out on anything that could run two containers, and unique across the cluster.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertProblems, CLUSTER, COMPOSE, loadInline } from './support.js';

test('container_name on a one-replica service is carried into the service spec', async () => {
  const result = await loadInline('services:\n  db:\n    image: postgres:16\n    container_name: shop-db\n');
  assert.deepEqual(result.problems, []);
  assert.equal(result.state?.stacks[0]?.services[0]?.containerName, 'shop-db');
});

test('container_name with more than one replica is an error at the key that says why', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx:1.27\n    container_name: web\n    deploy:\n      replicas: 3\n');
  assertProblems(result, [{ file: COMPOSE, line: 4, message: /container_name web names one container, but this service has 3 replicas; remove container_name or set deploy.replicas: 1/ }]);
});

test('container_name with mode: global is an error', async () => {
  const result = await loadInline('services:\n  agent:\n    image: busybox:1\n    container_name: agent\n    deploy: { mode: global }\n');
  assertProblems(result, [{ file: COMPOSE, line: 4, message: /mode: global \(one replica per node\)/ }]);
});

test('a container_name Docker would refuse is a schema error naming the key', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx:1.27\n    container_name: "-web"\n');
  assert.equal(result.state, undefined);
  assert.match(result.problems[0]?.message ?? '', /container_name/);
  assert.equal(result.problems[0]?.line, 4);
});

test('two services with the same container_name in two stacks are refused', async () => {
  const cluster = `${CLUSTER}    - name: other\n      compose: stacks/other/compose.yaml\n`;
  const result = await loadInline('services:\n  db:\n    image: postgres:16\n    container_name: db\n', { 'stacks/other/compose.yaml': 'services:\n  database:\n    image: postgres:16\n    container_name: db\n' }, cluster);
  assertProblems(result, [{ file: 'stacks/other/compose.yaml', line: 4, message: /container_name db is already the container_name of app\/db/ }]);
});
