// The small string languages inside Compose: durations, byte sizes, CPUs, commands,
// list-or-map values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listOrMapToRecord, parseByteSize, parseDurationMs, parseNanoCpus, splitCommand } from '../../../src/manifests/compose-values.js';

test('durations: Go-style units, combined, fractional; anything else is undefined', () => {
  assert.equal(parseDurationMs('10s'), 10_000);
  assert.equal(parseDurationMs('1m30s'), 90_000);
  assert.equal(parseDurationMs('1h2m3s'), 3_723_000);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('1.5s'), 1500);
  assert.equal(parseDurationMs('2500us'), 3);
  assert.equal(parseDurationMs('0s'), 0);
  for (const bad of ['10', '1d', '5 seconds', 's', '', '10s ', '-1s', '1m-30s']) assert.equal(parseDurationMs(bad), undefined, bad);
});

test('byte sizes: bare bytes, b/k/m/g with optional b, any case; negative or junk is undefined', () => {
  assert.equal(parseByteSize(1024), 1024);
  assert.equal(parseByteSize('512'), 512);
  assert.equal(parseByteSize('64k'), 64 * 1024);
  assert.equal(parseByteSize('128m'), 128 * 1024 ** 2);
  assert.equal(parseByteSize('256M'), 256 * 1024 ** 2);
  assert.equal(parseByteSize('1g'), 1024 ** 3);
  assert.equal(parseByteSize('1GB'), 1024 ** 3);
  assert.equal(parseByteSize('1.5g'), 1.5 * 1024 ** 3);
  for (const bad of [-1, 1.5, '1t', 'lots', '-5m']) assert.equal(parseByteSize(bad), undefined, String(bad));
});

test('cpus as number or string become nano-CPUs; negative is undefined', () => {
  assert.equal(parseNanoCpus(0.5), 500_000_000);
  assert.equal(parseNanoCpus('1.5'), 1_500_000_000);
  assert.equal(parseNanoCpus(-1), undefined);
  assert.equal(parseNanoCpus('two'), undefined);
});

test('a command string splits like a shell: quotes group, backslashes escape, no expansion', () => {
  assert.deepEqual(splitCommand('serve --port 8080'), ['serve', '--port', '8080']);
  assert.deepEqual(splitCommand(`sh -c "echo 'hi there'"`), ['sh', '-c', "echo 'hi there'"]);
  assert.deepEqual(splitCommand(`a\\ b 'c d' "e\\"f" ''`), ['a b', 'c d', 'e"f', '']);
  assert.deepEqual(splitCommand('echo $HOME'), ['echo', '$HOME']);
  assert.equal(splitCommand('echo "open'), undefined);
});

test('list-or-map values become records; list items without = have no value', () => {
  assert.deepEqual(listOrMapToRecord(['A=1', 'B=x=y', 'C']), { A: '1', B: 'x=y', C: undefined });
  assert.deepEqual(listOrMapToRecord({ A: 1, B: true, C: null }), { A: '1', B: 'true', C: undefined });
  assert.deepEqual(listOrMapToRecord(['host:10.0.0.1'], ':'), { host: '10.0.0.1' });
  assert.deepEqual(listOrMapToRecord(undefined), {});
});
