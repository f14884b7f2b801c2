import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterYaml, startFlow, type Flow } from './flow-harness.js';

const COMPOSE = 'stacks/shop/compose.yaml';

function compose(replicas: number, parallelism: number): string {
  return `services:
  web:
    image: web:1
    stop_grace_period: 10s
    deploy:
      replicas: ${replicas}
      update_config: { parallelism: ${parallelism}, monitor: 1s }
`;
}

/** Makes every stop take a while (a process that ignores SIGTERM), and counts how many overlap. */
function measureStops(flow: Flow): { max: () => number; total: () => number } {
  let inFlight = 0;
  let max = 0;
  let total = 0;
  for (const node of flow.nodes.values()) {
    const stop = node.stopContainer.bind(node);
    node.stopContainer = async (id: string) => {
      inFlight++;
      total++;
      max = Math.max(max, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 20));
        await stop(id);
      } finally {
        inFlight--;
      }
    };
  }
  return { max: () => max, total: () => total };
}

async function scaledDown(parallelism: number): Promise<{ max: number; total: number; left: number }> {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose(9, parallelism) });
  assert.equal(await flow.run(), 'success');
  const stops = measureStops(flow);
  flow.source.commit({ [COMPOSE]: compose(3, parallelism) });
  assert.equal(await flow.run(), 'success');
  let left = 0;
  for (const node of flow.nodes.values()) left += (await node.listContainers()).length;
  return { max: stops.max(), total: stops.total(), left };
}

test('a scale-down stops the surplus replicas all at once with parallelism 0', async () => {
  assert.deepEqual(await scaledDown(0), { max: 6, total: 6, left: 3 });
});

test('a scale-down stops the surplus replicas in batches of update_config.parallelism', async () => {
  assert.deepEqual(await scaledDown(2), { max: 2, total: 6, left: 3 });
  assert.deepEqual(await scaledDown(1), { max: 1, total: 6, left: 3 });
});

test('the containers of a service pruned from Git all stop at once (no update_config is left to ask)', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose(6, 1) });
  assert.equal(await flow.run(), 'success');
  const stops = measureStops(flow);
  flow.source.commit({ [COMPOSE]: `services:\n  other:\n    image: other:1\n` });
  assert.equal(await flow.run(), 'success');
  assert.equal(stops.total(), 6);
  assert.equal(stops.max(), 6);
});
