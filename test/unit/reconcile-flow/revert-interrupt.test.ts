// A failure that will be reverted stops the rest of the rollout at once (issue 11, part 4):
// replicas of other services that are still waiting on their health gates, or not yet
// replaced, stop there and are put back, so that the revert decision does not wait for
// their monitor periods. They are not failures of their own. With revert off, nothing is cut short.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.js';
import { clusterYaml, fleetView, shopCompose, startFlow } from './flow-harness.js';

const COMPOSE = 'stacks/shop/compose.yaml';

class Lines extends Writable {
  readonly messages: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) if (line.trim()) this.messages.push(String((JSON.parse(line) as { msg?: unknown }).msg));
    done();
  }
}

async function flowWith(syncExtra: string) {
  const lines = new Lines();
  // web's pull fails within a few calls; the other services are then still replacing their
  // first replica or waiting on its gate (monitor 2 s of the instant clock's time).
  const flow = await startFlow({ log: createLogger({ level: 'info', destination: lines }) });
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(syncExtra), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'success');
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { pullFails: 'manifest for web:2 not found: manifest unknown' });
  lines.messages.length = 0;
  return { flow, lines };
}

test('a missing image reverts without waiting for the health gates of the other services it changed', async () => {
  const { flow, lines } = await flowWith('');
  flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2', env: '2' }) });
  assert.equal(await flow.run(), 'reverted');
  const reason = flow.reconciler.history().at(-1)?.reason ?? '';
  assert.match(reason, /shop\/web on node-.: Node "node-.\" could not pull web:2 from registry docker\.io: manifest unknown/);
  assert.doesNotMatch(reason, /shop\/(api|worker)/, 'the other services are not blamed');
  const cut = lines.messages.filter((m) => /^shop-(api|worker)-\d on node-.: (stopped waiting for health|not started): the rollout is being reverted \(shop\/web failed/.test(m));
  assert.ok(cut.length >= 2, `api and worker replicas were cut short:\n${lines.messages.join('\n')}`);
  const view = await fleetView(flow);
  assert.ok(view.every((l) => / (web|api|worker):1 running$/.test(l)), view.join('\n'));
  assert.equal(view.filter((l) => l.includes('flotilla-old')).length, 0, 'nothing left renamed aside');
});

test('with revert off, a failure stops later batches but lets the replicas in their gates finish', async () => {
  const { flow, lines } = await flowWith('  sync: { revert: false }\n');
  flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2', env: '2' }) });
  assert.equal(await flow.run(), 'failed');
  assert.deepEqual(lines.messages.filter((m) => /stopped waiting for health|not started: the rollout/.test(m)), []);
});
