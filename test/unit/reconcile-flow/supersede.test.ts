import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../../src/clock.js';
import { LABEL } from '../../../src/docker/labels.js';
import { clusterYaml, shopCompose, startFlow } from './flow-harness.js';

const COMPOSE = 'stacks/shop/compose.yaml';

test('a newer commit pushed during a health wait cancels the wait and the next reconcile rolls forward to it', async () => {
  // Real time here: the rollout must genuinely be waiting on health when the push lands.
  const flow = await startFlow({ clock: systemClock, supersedeCheckMs: 50, healthyAfterInspects: 2 });
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose({ replicas: 1 }) });
  assert.equal(await flow.run(), 'success');
  const slow = flow.source.commit({ [COMPOSE]: shopCompose({ replicas: 1, web: 'web:2' }) });
  const rolling = flow.run();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const newer = flow.source.commit({ [COMPOSE]: shopCompose({ replicas: 1, web: 'web:3' }) });
  const started = Date.now();
  assert.equal(await rolling, 'superseded');
  assert.ok(Date.now() - started < 1500, 'the wait was cut short rather than run to its end');
  assert.equal(flow.reconciler.history().find((h) => h.revision === slow)?.outcome, 'superseded');
  assert.equal(await flow.run(), 'success');
  assert.equal(flow.reconciler.state.lastGood?.revision, newer);
  const images = new Set<string>();
  for (const node of flow.nodes.values()) for (const c of await node.listContainers()) if (c.labels[LABEL.service] === 'web') images.add(c.image);
  assert.deepEqual(images, new Set(['web:3']));
});
