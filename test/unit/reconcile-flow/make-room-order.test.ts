// A container removed to free a host port or a name for another replica must be gone before
// that replica starts, though services without depends_on run in parallel; it runs once, when
// the first service that needs it starts, and never for services that are skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterYaml, startFlow, type Flow } from './flow-harness.js';

const COMPOSE = 'stacks/shop/compose.yaml';
const service = (name: string, image: string): string => `services:
  ${name}:
    image: ${image}
    ports: ["80:80"]
    deploy: { mode: global }
`;

/**
 * Records, per node, the stops (slowed, as a real stop is: whatever does not wait for it
 * comes first), removals, creates and starts of every container, by name, in call order.
 */
async function recordContainerCalls(flow: Flow): Promise<(node: string, kinds?: RegExp) => string[]> {
  const order: string[] = [];
  for (const [name, node] of flow.nodes) {
    const names = new Map((await node.listContainers()).map((c) => [c.id, c.name]));
    const stop = node.stopContainer.bind(node);
    node.stopContainer = async (id: string, grace?: number) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await stop(id);
      order.push(`${name}: stopped ${names.get(id) ?? id} (grace ${grace ?? 'default'})`);
    };
    const remove = node.removeContainer.bind(node);
    node.removeContainer = async (id: string) => {
      await remove(id);
      order.push(`${name}: removed ${names.get(id) ?? id}`);
    };
    const create = node.createContainer.bind(node);
    node.createContainer = async (n, body, platform) => {
      order.push(`${name}: create ${n}`);
      return create(n, body, platform);
    };
    const start = node.startContainer.bind(node);
    node.startContainer = async (id: string) => {
      const created = (await node.listContainers()).find((c) => c.id === id);
      order.push(`${name}: started ${created?.name ?? id}`);
      await start(id);
    };
  }
  return (node, kinds = /./) => order.filter((line) => line.startsWith(`${node}: `) && kinds.test(line.slice(node.length + 2)));
}

test('renaming a service that holds a fixed port removes the old replica before the new one starts, on every node', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: service('web', 'web:1') });
  assert.equal(await flow.run(), 'success');
  const calls = await recordContainerCalls(flow);
  flow.source.commit({ [COMPOSE]: service('frontend', 'web:1') });
  assert.equal(await flow.run(), 'success');
  for (const name of flow.nodes.keys()) {
    const here = calls(name, /^(removed|started) /);
    assert.deepEqual(here, [`${name}: removed shop-web-${name}`, `${name}: started shop-frontend-${name}`], here.join('; '));
  }
});

test('a service taking the port of another service\'s replaced replica: the old one goes first, with its own grace period, and both start', async () => {
  const flow = await startFlow();
  const compose = (apiPorts: string, webPorts: string): string => `services:
  api:
    image: api:1
${apiPorts}    deploy: { mode: global }
  web:
    image: web:1
    ports: [${webPorts}]
    stop_grace_period: 2m
    deploy: { mode: global }
`;
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose('', '"80:80"') });
  assert.equal(await flow.run(), 'success');
  const calls = await recordContainerCalls(flow);
  // api takes 80, web moves to 8080: web's old replica holds both the port and web's name.
  flow.source.commit({ [COMPOSE]: compose('    ports: ["80:80"]\n', '"8080:80"') });
  assert.equal(await flow.run(), 'success', [...flow.nodes.keys()].flatMap((n) => calls(n)).join('; '));
  for (const [name, node] of flow.nodes) {
    const here = calls(name, /^(stopped|create) /);
    assert.equal(here[0], `${name}: stopped shop-web-${name} (grace 120)`, here.join('; '));
    // api is replaced too (its ports changed); what matters is that both creates come after web's old replica went.
    for (const svc of ['api', 'web']) assert.ok(here.indexOf(`${name}: create shop-${svc}-${name}`) > 0, here.join('; '));
    assert.deepEqual((await node.listContainers()).map((c) => `${c.name} ${c.state}`).sort(), [`shop-api-${name} running`, `shop-web-${name} running`]);
  }
});

test('room is made only for a service that starts: when both services wait on a dependency that fails, the old replica keeps running', async () => {
  const flow = await startFlow({ nodeOptions: { behaviours: { 'db:2': { turnsUnhealthy: true, imageHealthcheck: true } } } });
  const compose = (db: string, apiPorts: string, webPorts: string): string => `services:
  db:
    image: ${db}
    deploy: { mode: global, update_config: { failure_action: pause } }
  api:
    image: api:1
    depends_on: [db]
${apiPorts}    deploy: { mode: global }
  web:
    image: web:1
    depends_on: [db]
    ports: [${webPorts}]
    deploy: { mode: global }
`;
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose('db:1', '', '"80:80"') });
  assert.equal(await flow.run(), 'success');
  // db fails and pauses; api and web, which wait on it, are skipped: web's old replica must stay.
  flow.source.commit({ [COMPOSE]: compose('db:2', '    ports: ["80:80"]\n', '"8080:80"') });
  assert.notEqual(await flow.run(), 'success');
  for (const [name, node] of flow.nodes) {
    const web = (await node.listContainers()).filter((c) => c.name.startsWith('shop-web-'));
    assert.deepEqual(web.map((c) => `${c.name} ${c.state}`), [`shop-web-${name} running`], `${name}: web kept its replica`);
  }
});
