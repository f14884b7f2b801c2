// Broken corpus, hostile input: an alias bomb and oversized files are refused quickly and
// with bounded memory, before anything walks the data.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { directoryReader } from '../../../src/manifests/repo-reader.js';
import { MAX_MANIFEST_BYTES } from '../../../src/manifests/yaml-source.js';
import { assertProblems, CLUSTER, COMPOSE, loadFixture, loadInline } from './support.js';

// Compile the schemas first, so the timings below measure the refusal and not ajv.
before(async () => {
  await loadInline('services:\n  web:\n    image: nginx:1.27\n');
});

test('a "billion laughs" alias bomb is refused within a second, with bounded memory, at the alias that tips it [broken/compose-alias-bomb]', async () => {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = await loadFixture('broken', 'compose-alias-bomb');
  const elapsed = performance.now() - started;
  assertProblems(result, [{ file: COMPOSE, line: 7, col: 16, pointer: '', message: /expand this document by more than 250,000 nodes \(by alias \*e here\).*alias bomb/ }]);
  assert.ok(elapsed < 1000, `took ${elapsed.toFixed(0)} ms`);
  // Expanded, the bomb is 10^9 strings; refused early it costs a few MB at most.
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'heap grew by more than 64 MiB');
});

test('a much larger alias bomb (12 levels of 12) is refused as quickly', async () => {
  const levels = Array.from({ length: 12 }, (_, i) => {
    const name = `l${i}`;
    const items = i === 0 ? Array(12).fill('"x"') : Array(12).fill(`*l${i - 1}`);
    return `${name}: &${name} [${items.join(', ')}]`;
  });
  const compose = `x-bomb:\n${levels.map((l) => `  ${l}`).join('\n')}\nservices:\n  web:\n    image: nginx:1.27\n    command: *l11\n`;
  const started = performance.now();
  const result = await loadInline(compose);
  assert.ok(performance.now() - started < 1000);
  assert.equal(result.state, undefined);
  assert.match(result.problems[0]?.message ?? '', /alias bomb/);
});

test('an alias that points into its own anchor (a cycle) is refused at the alias', async () => {
  const result = await loadInline('services:\n  web: &web\n    image: nginx:1.27\n    x-self: [*web]\n');
  assertProblems(result, [{ file: COMPOSE, line: 4, col: 14, message: /alias \*web points into the node that carries &web/ }]);
});

test('a compose file over the 1 MiB limit is refused before it is parsed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'flotilla-oversize-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'clusters', 'c'), { recursive: true });
  mkdirSync(join(root, 'stacks', 'app'), { recursive: true });
  writeFileSync(join(root, 'clusters', 'c', 'cluster.yaml'), CLUSTER);
  // Valid YAML all the way: the size alone must be enough to refuse it.
  const padding = '# padding padding padding padding padding padding padding padding padding\n'.repeat(Math.ceil(MAX_MANIFEST_BYTES / 70));
  const compose = `services:\n  web:\n    image: nginx:1.27\n${padding}`;
  writeFileSync(join(root, 'stacks', 'app', 'compose.yaml'), compose);
  const started = performance.now();
  const result = await loadDesiredState(await directoryReader(root), 'clusters/c');
  assert.ok(performance.now() - started < 1000);
  assertProblems(result, [{ file: COMPOSE, line: 1, col: 1, pointer: '', message: new RegExp(`file is ${Buffer.byteLength(compose)} bytes, over the 1048576-byte limit`) }]);
});

test('a .env over the 1 MiB limit is refused like a manifest', async () => {
  const big = 'A=' + 'x'.repeat(MAX_MANIFEST_BYTES) + '\n';
  const result = await loadInline('services:\n  web:\n    image: nginx:1.27\n', { 'stacks/app/.env': big });
  assertProblems(result, [{ file: 'stacks/app/.env', line: 1, col: 1, message: /over the 1048576-byte limit/ }]);
});

test('a file exactly at the limit is still read', async () => {
  const head = 'services:\n  web:\n    image: nginx:1.27\n';
  const compose = head + '#'.repeat(MAX_MANIFEST_BYTES - head.length - 1) + '\n';
  assert.equal(Buffer.byteLength(compose), MAX_MANIFEST_BYTES);
  const result = await loadInline(compose);
  assert.deepEqual(result.problems, []);
});

test('a document nested thousands of levels deep is refused, not a crash', async () => {
  const deep = '['.repeat(5000) + ']'.repeat(5000);
  const result = await loadInline(`services:\n  web:\n    image: nginx:1.27\n    x-deep: ${deep}\n`);
  assert.equal(result.state, undefined);
  assert.equal(result.problems.length, 1);
  assert.equal(result.problems[0]?.file, COMPOSE);
});
