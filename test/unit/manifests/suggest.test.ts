// "Did you mean": close misspellings get a suggestion, unrelated words do not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest } from '../../../src/manifests/suggest.js';

const keys = ['image', 'environment', 'restart', 'healthcheck', 'networks', 'ports', 'labels', 'stop_grace_period'];

test('typos, swapped letters, case and a missing plural find the intended key', () => {
  assert.equal(closest('enviroment', keys), 'environment');
  assert.equal(closest('restrat', keys), 'restart');
  assert.equal(closest('healtcheck', keys), 'healthcheck');
  assert.equal(closest('network', keys), 'networks');
  assert.equal(closest('Image', keys), 'image');
});

test('words that are not near any key get no suggestion', () => {
  assert.equal(closest('hostname', keys), undefined);
  assert.equal(closest('dns', keys), undefined);
  assert.equal(closest('logging', keys), undefined);
  assert.equal(closest('x', []), undefined);
});
