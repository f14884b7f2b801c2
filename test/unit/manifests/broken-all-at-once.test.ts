// All errors of a commit are reported in one run, sorted by file then position, so a
// user fixes them in one round; and every case of the broken corpus is rejected.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { brokenCase, CLUSTER_FILE, FIXTURES, loadFixture } from './support.js';

brokenCase('many-errors-across-files', 'errors in the cluster file, two compose files and a .env are all reported in one run, sorted by file and line', [
  { file: CLUSTER_FILE, line: 19, col: 12, pointer: '/spec/sync/prune', message: /`spec\.sync\.prune` must be a boolean, got string "yes"/ },
  { file: 'stacks/app/compose.yaml', line: 2, col: 3, pointer: '/services/web', message: /missing the required key `image`/ },
  { file: 'stacks/jobs/.env', line: 2, col: 1, pointer: '', message: /expected KEY=VALUE, got "broken line"/ },
  { file: 'stacks/jobs/compose.yaml', line: 4, col: 16, pointer: '/services/worker/networks/0', message: /network "queue" is not declared/ },
  { file: 'stacks/jobs/compose.yaml', line: 5, col: 18, pointer: '/services/worker/depends_on/0', message: /depends_on names "scheduler"/ },
]);

const cases = readdirSync(join(FIXTURES, 'broken')).sort();

test('the broken corpus holds at least 35 cases', () => {
  assert.ok(cases.length >= 35, `only ${cases.length} cases`);
});

for (const name of cases) {
  test(`broken/${name} is rejected with positioned problems and no state`, async () => {
    const result = await loadFixture('broken', name);
    assert.equal(result.state, undefined);
    assert.ok(result.problems.length > 0);
    for (const problem of result.problems) {
      assert.ok(problem.line >= 1 && problem.col >= 1, `${problem.file}:${problem.line}:${problem.col}`);
      assert.ok(problem.message.length > 20, problem.message);
      assert.ok(!problem.file.startsWith('/'), 'files are repo-relative');
    }
    // Stable output: the problems come sorted by file, line and column.
    const keys = result.problems.map((p) => [p.file, p.line, p.col] as const);
    const sorted = [...keys].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1] || a[2] - b[2]);
    assert.deepEqual(keys, sorted);
  });
}

