// `networks.<n>.aliases`, `ipv4_address` and top-level `ipam`: accepted, mapped onto the
// network create body and the container's endpoints, and refused where Docker would fail
// later (an address outside the subnet, or shared by two containers on one node).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileCatalog } from '../../../src/reconcile/plan/catalog.js';
import { networkCreate, serviceBody } from '../../../src/reconcile/plan/container-spec.js';
import { assertProblems, COMPOSE, loadInline } from './support.js';

const FIXED = `services:
  db:
    image: postgres:16
    networks:
      back:
        ipv4_address: 172.28.0.10
        aliases: [database, postgres]
  web:
    image: nginx:1.27
    networks:
      front:
      back:
        aliases: [www]
networks:
  front:
  back:
    ipam:
      driver: default
      config:
        - subnet: 172.28.0.0/16
          ip_range: 172.28.5.0/24
          gateway: 172.28.0.1
`;

test('ipam reaches the network create body in the Engine API form', async () => {
  const result = await loadInline(FIXED);
  assert.deepEqual(result.problems, []);
  const back = result.state?.stacks[0]?.networks.find((n) => n.name === 'back');
  assert.ok(back);
  assert.deepEqual(networkCreate('c', 'app', back).ipam, { Driver: 'default', Config: [{ Subnet: '172.28.0.0/16', Gateway: '172.28.0.1', IPRange: '172.28.5.0/24' }] });
  const front = result.state?.stacks[0]?.networks.find((n) => n.name === 'front');
  assert.ok(front);
  assert.equal('ipam' in networkCreate('c', 'app', front), false, 'no ipam written, none sent');
});

test('aliases and ipv4_address on the primary network are in the create body', async () => {
  const result = await loadInline(FIXED);
  const stack = result.state?.stacks[0];
  const db = stack?.services.find((s) => s.name === 'db');
  assert.ok(stack && db);
  assert.deepEqual(serviceBody('c', stack, db).NetworkingConfig, { EndpointsConfig: { app_back: { Aliases: ['db', 'database', 'postgres'], IPAMConfig: { IPv4Address: '172.28.0.10' } } } });
});

test('aliases on a network joined after create travel with the create action and change the spec hash', async () => {
  const result = await loadInline(FIXED);
  assert.ok(result.state);
  const web = compileCatalog(result.state).services.find((s) => s.spec.name === 'web');
  assert.ok(web);
  assert.deepEqual(web.connect, ['app_back']);
  assert.deepEqual(web.endpoints, { app_back: { Aliases: ['web', 'www'] } });
  const plain = await loadInline(FIXED.replace('        aliases: [www]\n', ''));
  assert.ok(plain.state);
  const plainWeb = compileCatalog(plain.state).services.find((s) => s.spec.name === 'web');
  assert.equal(plainWeb?.endpoints, undefined);
  assert.notEqual(plainWeb?.hash, web.hash);
});

test('a service without aliases or addresses keeps the body it had before these keys existed', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx:1.27\n');
  const stack = result.state?.stacks[0];
  const web = stack?.services[0];
  assert.ok(stack && web);
  assert.deepEqual(serviceBody('c', stack, web).NetworkingConfig, { EndpointsConfig: { app_default: { Aliases: ['web'] } } });
});

test('ipv4_address with several replicas that may share a node is an error with the way out', async () => {
  const compose = FIXED.replace('    image: postgres:16\n', '    image: postgres:16\n    deploy: { replicas: 2 }\n');
  assertProblems(await loadInline(compose), [{ file: COMPOSE, line: 7, message: /ipv4_address 172.28.0.10 can be held by one container per node, but db has 2 replicas that may share a node; set deploy.replicas: 1 or deploy.placement.max_replicas_per_node: 1/ }]);
  const spread = FIXED.replace('    image: postgres:16\n', '    image: postgres:16\n    deploy: { replicas: 2, placement: { max_replicas_per_node: 1 } }\n');
  assert.deepEqual((await loadInline(spread)).problems, []);
});

test('ipv4_address outside the subnet, or on a network without one, is an error', async () => {
  assertProblems(await loadInline(FIXED.replace('172.28.0.10', '10.0.0.10')), [{ file: COMPOSE, line: 6, message: /ipv4_address 10.0.0.10 is not inside the subnet\(s\) 172.28.0.0\/16 of network back/ }]);
  const noSubnet = 'services:\n  db:\n    image: postgres:16\n    networks:\n      back:\n        ipv4_address: 172.28.0.10\nnetworks:\n  back:\n';
  assertProblems(await loadInline(noSubnet), [{ file: COMPOSE, line: 6, message: /needs a subnet: declare networks.back.ipam.config/ }]);
});

test('two services with one address on one network are refused', async () => {
  const compose = FIXED.replace('        aliases: [www]\n', '        ipv4_address: 172.28.0.10\n');
  assertProblems(await loadInline(compose), [{ file: COMPOSE, line: 13, message: /ipv4_address 172.28.0.10 on network back is already the address of db/ }]);
});

test('a gateway or ip_range outside the subnet is an error at that key', async () => {
  assertProblems(await loadInline(FIXED.replace('gateway: 172.28.0.1', 'gateway: 10.1.0.1')), [{ file: COMPOSE, line: 22, message: /gateway 10.1.0.1 is not inside the subnet 172.28.0.0\/16/ }]);
  assertProblems(await loadInline(FIXED.replace('ip_range: 172.28.5.0/24', 'ip_range: 172.29.5.0/24')), [{ file: COMPOSE, line: 21, message: /ip_range 172.29.5.0\/24 is not inside the subnet/ }]);
});

test('an endpoint key Flotilla does not map is refused by name', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx:1.27\n    networks:\n      default:\n        ipv6_address: "fd00::10"\n');
  assert.equal(result.state, undefined);
  assert.match(result.problems[0]?.message ?? '', /unknown key `ipv6_address`/);
});

test('on engine: swarm, aliases reach the task networks while ipv4_address and ipam are refused by name', async () => {
  const { desiredService } = await import('../../../src/engine/swarm/service-spec.js');
  const swarmCluster = 'apiVersion: flotilla/v1alpha1\nkind: Cluster\nmetadata: { name: c }\nspec:\n  engine: swarm\n  swarm: { manager: ["unix:///var/run/docker.sock"] }\n  nodes:\n    - name: m1\n  stacks:\n    - name: app\n      compose: stacks/app/compose.yaml\n';
  const ok = await loadInline('services:\n  web:\n    image: nginx:1.27\n    networks:\n      default:\n        aliases: [www]\n', {}, swarmCluster);
  assert.deepEqual(ok.problems, []);
  const stack = ok.state?.stacks[0];
  assert.ok(stack?.services[0]);
  const task = desiredService('c', stack, stack.services[0], 'c1').spec.TaskTemplate as { Networks: Array<{ Aliases: string[] }> };
  assert.deepEqual(task.Networks[0]?.Aliases, ['web', 'www']);
  const refused = await loadInline(FIXED, {}, swarmCluster);
  assert.deepEqual(refused.problems.map((p) => p.message.split(':')[0]).sort(), ['`ipam` in `networks.back` is not supported with engine', '`ipv4_address` in `services.db.networks.back` is not supported with engine']);
});
