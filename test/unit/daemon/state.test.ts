import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, emptyState, HISTORY_LIMIT, isQuarantined } from '../../../src/state.js';

test('state round-trips through an atomic write and leaves no temp file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-state-'));
  const store = new StateStore(dir);
  const state = emptyState();
  state.lastGood = { revision: 'abc', at: '2026-01-01T00:00:00Z' };
  state.quarantined.push({ revision: 'bad', reason: 'unhealthy', at: '2026-01-01T00:00:00Z' });
  await store.save(state);
  const loaded = await store.load();
  assert.deepEqual(loaded.state, state);
  assert.deepEqual(readdirSync(dir), ['state.json']);
  assert.equal(isQuarantined(loaded.state, 'bad'), true);
  assert.equal(isQuarantined(loaded.state, 'abc'), false);
});

test('history is trimmed to the last 50 entries on save', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-state-'));
  const store = new StateStore(dir);
  const state = emptyState();
  for (let i = 0; i < HISTORY_LIMIT + 7; i++) state.history.push({ revision: `r${i}`, startedAt: '', outcome: 'deployed', changes: { create: 0, replace: 0, remove: 0, start: 0 } });
  await store.save(state);
  const { state: loaded } = await store.load();
  assert.equal(loaded.history.length, HISTORY_LIMIT);
  assert.equal(loaded.history[0]?.revision, 'r7');
});

test('a missing state file loads as a fresh state', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-state-'));
  const { state, warning } = await new StateStore(dir).load();
  assert.deepEqual(state, emptyState());
  assert.equal(warning, undefined);
});

test('a corrupt state file is moved aside with a warning, never silently overwritten', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-state-'));
  writeFileSync(join(dir, 'state.json'), '{"version": 1, "hist');
  const { state, warning } = await new StateStore(dir).load();
  assert.deepEqual(state, emptyState());
  assert.match(warning ?? '', /unreadable.*moved to/);
  assert.equal(existsSync(join(dir, 'state.json')), false);
  assert.equal(readdirSync(dir).filter((f) => f.startsWith('state.json.corrupt-')).length, 1);
});
