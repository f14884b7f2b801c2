import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseMemoryMode } from '../../../src/cli/memory-mode.js';

test('--memory-mode takes lean or throughput, in any case, and names the choices otherwise', () => {
  assert.equal(parseMemoryMode('lean'), 'lean');
  assert.equal(parseMemoryMode(' Throughput '), 'throughput');
  assert.throws(() => parseMemoryMode('small'), /--memory-mode must be lean or throughput, not "small"/);
});

// In a child process, since the settings are process-wide: allocate objects that survive
// young collections (as a reconcile's observation does) and read the young generation's size.
function youngGenerationMb(mode: 'lean' | 'throughput'): number {
  const moduleUrl = new URL('../../../src/cli/memory-mode.js', import.meta.url).href;
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    const { applyMemoryMode } = await import(${JSON.stringify(moduleUrl)});
    applyMemoryMode(${JSON.stringify(mode)});
    const kept = [];
    for (let round = 0; round < 150; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ i, name: 'replica-' + i });
      kept[round % 3] = batch;
      await new Promise((r) => setImmediate(r));
    }
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(young.space_size / 2 ** 20));
  `;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' }));
}

test('lean keeps the young generation at its initial size; throughput lets V8 grow it', () => {
  const lean = youngGenerationMb('lean');
  const throughput = youngGenerationMb('throughput');
  assert.ok(lean <= 2, `lean young generation ${lean} MB`);
  assert.ok(throughput >= 8, `throughput young generation ${throughput} MB`);
});
