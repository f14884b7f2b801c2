// A service with a fixed ipv4_address starts before the services that join the same network
// with an address Docker picks: IPAM hands out the lowest free address, and a replica started
// first would take the fixed one (traefik's well-known compose file pins 172.30.0.2, next to
// the gateway, and its whoami replicas join the same network).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterYaml, startFlow } from './flow-harness.js';

const COMPOSE = 'stacks/shop/compose.yaml';

function compose(proxyDependsOnApp = false): string {
  return `services:
  app:
    image: app:1
    networks: [proxy]
    deploy: { replicas: 3 }
  proxy:
    image: proxy:1
${proxyDependsOnApp ? '    depends_on: [app]\n' : ''}    networks:
      proxy:
        ipv4_address: 172.30.0.2
networks:
  proxy:
    ipam:
      config:
        - subnet: 172.30.0.0/24
`;
}

/** Records every start by container name; the proxy's create is slowed, as a pull or a make-room removal would. */
function recordStarts(flow: Awaited<ReturnType<typeof startFlow>>): string[] {
  const starts: string[] = [];
  for (const node of flow.nodes.values()) {
    const create = node.createContainer.bind(node);
    node.createContainer = async (name, body, platform) => {
      if (name.includes('proxy')) await new Promise((resolve) => setTimeout(resolve, 30));
      return create(name, body, platform);
    };
    const start = node.startContainer.bind(node);
    node.startContainer = async (id: string) => {
      const name = (await node.listContainers()).find((c) => c.id === id)?.name ?? id;
      starts.push(name.replace(/-\d+$/, ''));
      await start(id);
    };
  }
  return starts;
}

test('the service with a fixed address on a network starts before those that join it with any address', async () => {
  const flow = await startFlow();
  const starts = recordStarts(flow);
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose() });
  assert.equal(await flow.run(), 'success');
  assert.deepEqual(starts, ['shop-proxy', 'shop-app', 'shop-app', 'shop-app'], starts.join(', '));
});

test('a depends_on the other way round is kept, and does not deadlock', async () => {
  const flow = await startFlow();
  const starts = recordStarts(flow);
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose(true) });
  assert.equal(await flow.run(), 'success');
  assert.deepEqual(starts, ['shop-app', 'shop-app', 'shop-app', 'shop-proxy'], starts.join(', '));
});

const NETWORKS = `networks:
  n1: { ipam: { config: [{ subnet: 172.31.1.0/24 }] } }
  n2: { ipam: { config: [{ subnet: 172.31.2.0/24 }] } }
  n3: { ipam: { config: [{ subnet: 172.31.3.0/24 }] } }
`;

test('address waits that would close a loop with depends_on are left out: the rollout finishes', { timeout: 10_000 }, async () => {
  const flow = await startFlow();
  // dns holds n1's fixed address and depends on cache; app joins n1 (waits for dns) and holds
  // n2's; cache joins n2 (would wait for app): app -> dns -> cache -> app.
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: `services:
  dns:
    image: dns:1
    depends_on: [cache]
    networks: { n1: { ipv4_address: 172.31.1.10 } }
  app:
    image: app:1
    networks: { n1: {}, n2: { ipv4_address: 172.31.2.10 } }
  cache:
    image: cache:1
    networks: [n2]
${NETWORKS}` });
  assert.equal(await flow.run(), 'success');
});

test('a loop of address waits alone (three networks) is broken too', { timeout: 10_000 }, async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: `services:
  a:
    image: a:1
    networks: { n1: {}, n3: { ipv4_address: 172.31.3.10 } }
  b:
    image: b:1
    networks: { n2: {}, n1: { ipv4_address: 172.31.1.10 } }
  c:
    image: c:1
    networks: { n3: {}, n2: { ipv4_address: 172.31.2.10 } }
${NETWORKS}` });
  assert.equal(await flow.run(), 'success');
});
