import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryLru } from '../../../src/sync/webhooks/delivery-lru.js';

test('remembers ids up to its capacity, forgetting the least recently seen first', () => {
  const lru = new DeliveryLru(2);
  assert.equal(lru.checkAndRemember('a'), false);
  assert.equal(lru.checkAndRemember('b'), false);
  assert.equal(lru.checkAndRemember('a'), true, 'a is a duplicate, and now the most recent');
  assert.equal(lru.checkAndRemember('c'), false, 'evicts b, not a');
  assert.equal(lru.checkAndRemember('a'), true);
  assert.equal(lru.checkAndRemember('b'), false);
  assert.equal(lru.size, 2);
});

test('a flood of distinct ids never grows it past its capacity', () => {
  const lru = new DeliveryLru(100);
  for (let i = 0; i < 10_000; i++) lru.checkAndRemember(`id-${i}`);
  assert.equal(lru.size, 100);
});
