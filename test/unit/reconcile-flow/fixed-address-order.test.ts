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
