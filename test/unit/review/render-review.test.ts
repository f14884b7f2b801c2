import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ManifestProblem } from '../../../src/manifests/problems.js';
import { plan } from '../../../src/reconcile/plan/planner.js';
import type { ReviewOutcome } from '../../../src/review/plan-review.js';
import { changeSummary, planMarker, reviewComment, reviewStatus } from '../../../src/review/render-review.js';
import { desired, node, observed, observedNode, service, stack } from '../reconcile/builders.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';

function planned(services: number, notes: string[] = []): ReviewOutcome {
  const state = { ...desired([node('node-a'), node('node-b')], [stack('shop', Array.from({ length: services }, (_, i) => service(`svc-${i}`, { replicas: 2 })))], 'prod'), revision: SHA };
  const p = plan(state, observed(observedNode('node-a'), observedNode('node-b')), { selfHeal: true, prune: true, commit: SHA, mode: 'sync' });
  return { kind: 'planned', cluster: 'prod', revision: SHA, plan: p, notes };
}

function problems(n: number): ManifestProblem[] {
  return Array.from({ length: n }, (_, i) => ({ file: 'stacks/shop/compose.yaml', line: 3 + i, col: 5, pointer: `/services/web/x${i}`, message: `unknown key "x${i}" in service web; remove it or check its spelling` }));
}

test('the status of a plan summarises its changes in the words reviewers expect', () => {
  const outcome = planned(1);
  assert.deepEqual(reviewStatus(outcome, 140), { state: 'success', description: '2 to create' });
  if (outcome.kind === 'planned') assert.equal(changeSummary(outcome.plan), '2 to create');
});

test('an invalid commit fails its status with file:line of each error, cut to the forge limit', () => {
  const status = reviewStatus({ kind: 'invalid', cluster: 'prod', revision: SHA, problems: problems(5) }, 140);
  assert.equal(status.state, 'failure');
  assert.ok(status.description.length <= 140);
  assert.match(status.description, /^5 validation errors: stacks\/shop\/compose.yaml:3: unknown key "x0"/);
  assert.ok(status.description.endsWith('…'));
});

test('an invalid commit\'s comment lists every error in full', () => {
  const body = reviewComment({ kind: 'invalid', cluster: 'prod', revision: SHA, problems: problems(30) }, 65_536);
  assert.ok(body.startsWith('<!-- flotilla-plan:prod -->\n'));
  assert.match(body, /30 validation errors: this commit would not be applied/);
  for (let i = 0; i < 30; i++) assert.ok(body.includes(`stacks/shop/compose.yaml:${3 + i}:5: unknown key "x${i}"`), `error ${i}`);
});

test('the comment starts with the hidden per-cluster marker and carries the Markdown plan and notes', () => {
  const body = reviewComment(planned(2, ['`node-c` is new in this pull request and is planned as an empty node (it is not contacted before the merge).']), 65_536);
  assert.ok(body.startsWith(planMarker('prod')));
  assert.match(body, /### Flotilla plan for `prod` at `0123456789abcdef/);
  assert.match(body, /\*\*Plan: 4 to create, 0 to replace, 0 to remove\.\*\*/);
  assert.match(body, /#### shop\/svc-0/);
  assert.match(body, /\*\*Not observed\*\*\n\n- `node-c` is new/);
});

test('a comment longer than the forge allows is cut at a line, keeps its marker and says how to see it all', () => {
  const limit = 2_000;
  const body = reviewComment(planned(40), limit);
  assert.ok(body.length <= limit, `${body.length}`);
  assert.ok(body.startsWith(planMarker('prod')));
  assert.match(body, /cut short.*flotilla plan --ref 0123456789abcdef0123456789abcdef01234567 --format markdown/s);
  assert.equal((body.match(/<details>/g) ?? []).length, (body.match(/<\/details>/g) ?? []).length);
});

test('markers are one per cluster and cannot be broken out of', () => {
  assert.equal(planMarker('prod'), '<!-- flotilla-plan:prod -->');
  assert.equal(planMarker('a --> <b>'), '<!-- flotilla-plan:a------b- -->');
});

test('an error outcome is an error status and a comment that says what went wrong', () => {
  const outcome: ReviewOutcome = { kind: 'error', cluster: 'prod', revision: SHA, message: 'could not fetch refs/pull/3/head: no such ref' };
  assert.deepEqual(reviewStatus(outcome, 140), { state: 'error', description: 'Could not plan: could not fetch refs/pull/3/head: no such ref' });
  assert.match(reviewComment(outcome, 65_536), /could not plan this pull request:\*\* could not fetch refs\/pull\/3\/head/);
});
