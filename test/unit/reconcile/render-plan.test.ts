import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { directoryReader } from '../../../src/manifests/repo-reader.js';
import { plan } from '../../../src/reconcile/plan/planner.js';
import { renderPlanText } from '../../../src/reconcile/report/render-plan-text.js';
import { renderPlanMarkdown } from '../../../src/reconcile/report/render-plan-markdown.js';
import { planToJson } from '../../../src/reconcile/report/plan-view.js';
import { desired, foreign, node, observed, observedNode, replica, service, stack } from './builders.js';

function mixedPlan() {
  const before = desired([node('a'), node('b')], [stack('shop', [service('api', { replicas: 2, image: 'api:1' }), service('old')])]);
  const after = desired([node('a'), node('b')], [stack('shop', [service('api', { replicas: 3, image: 'api:2' }), service('web', { ports: [80] })])]);
  const obs = observed(observedNode('a', [replica(before, 'shop', 'api', '1', 'a'), replica(before, 'shop', 'old', '1', 'a'), foreign('nginx', [80])]), observedNode('b', [replica(before, 'shop', 'api', '2', 'b', { state: 'exited' })]));
  return plan(after, obs, { selfHeal: true, prune: true, commit: 'abc1234' });
}

test('the text plan groups changes by service with node and reason, and ends with the summary line', () => {
  const text = renderPlanText(mixedPlan());
  assert.match(text, /^Flotilla plan for cluster test at abc1234 \(sync\)\n/);
  assert.match(text, /\nshop\/api\n {2}\+ create {2}shop-api-3 on a: no container for replica 3 of 3\n {2}~ replace shop-api-1 on a: image changed: api:1 → api:2\n/);
  assert.match(text, /\nshop\/old \(no longer declared\)\n {2}- remove {2}shop-old-1 on a: shop\/old is no longer declared in Git\n/);
  assert.match(text, /Conflicts \(left alone\):\n {2}unmanaged container nginx on a holds host port 80\/tcp/);
  assert.match(text, /\nPlan: 2 to create, 2 to replace, 1 to remove\.\n$/);
});

test('an empty plan says there is nothing to do', () => {
  const d = desired([node('a')], [stack('s', [service('w')])]);
  const p = plan(d, observed(observedNode('a', [replica(d, 's', 'w', '1', 'a')])), { selfHeal: true, prune: true, commit: 'c1' });
  assert.match(renderPlanText(p), /No changes\. The cluster matches c1\.\nPlan: 0 to create, 0 to replace, 0 to remove\.\n$/);
  assert.match(renderPlanMarkdown(p), /\*\*Plan: 0 to create, 0 to replace, 0 to remove\.\*\*/);
});

test('the Markdown plan has the summary first and one table per service, with cells escaped', () => {
  const md = renderPlanMarkdown(mixedPlan());
  const lines = md.split('\n');
  assert.equal(lines[0], '### Flotilla plan for `test` at `abc1234`');
  assert.equal(lines[2], '**Plan: 2 to create, 2 to replace, 1 to remove.**');
  assert.ok(lines.includes('#### shop/api'));
  assert.ok(lines.includes('| 🟡 replace | `shop-api-1` | a | image changed: api:1 → api:2 |'));
  assert.match(md, /<details><summary>Conflicts \(left alone\) \(1\)<\/summary>/);
});

test('the JSON view is plain data without create bodies', () => {
  const json = planToJson(mixedPlan());
  const round = JSON.parse(JSON.stringify(json)) as { changes: Array<Record<string, string>>; summary: { create: number } };
  assert.equal(round.summary.create, 2);
  assert.deepEqual(Object.keys(round.changes[0] ?? {}).sort(), ['action', 'cause', 'container', 'node', 'reason', 'service', 'stack', 'verb']);
});

test('the example repository plans its services onto an empty node in dependency order', async () => {
  const root = fileURLToPath(new URL('../../../../example-repo', import.meta.url));
  process.env.WEB_IMAGE ??= 'nginx:1.27';
  process.env.API_IMAGE ??= 'traefik/whoami:v1.10';
  const loaded = await loadDesiredState(await directoryReader(root));
  assert.deepEqual(loaded.problems, []);
  const state = loaded.state;
  assert.ok(state);
  const p = plan(state, observed(observedNode('local')), { selfHeal: true, prune: true, commit: 'c0' });
  const creates = p.actions.filter((a) => a.type === 'create').map((a) => (a.type === 'create' ? a.container.name : ''));
  assert.deepEqual(creates, ['shop-api-1', 'shop-api-2', 'shop-web-1', 'monitoring-node-info-local']);
  assert.equal(p.actions[0]?.type, 'ensure-network');
  assert.match(renderPlanText(p), /Plan: 4 to create, 0 to replace, 0 to remove\./);
});
