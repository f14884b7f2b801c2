import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceBody, specHash } from '../../../src/reconcile/container-spec.js';
import { service, stack } from './builders.js';

test('Env is in code-point order, whatever the locale would say, so the spec hash is the same on every machine', () => {
  const svc = service('web', { env: { b: '1', B: '2', a: '3', A_1: '4', Z: '5' } });
  const body = serviceBody('prod', stack('shop', [svc]), svc);
  // A locale-aware sort would interleave cases (a, A_1, b, B, Z).
  assert.deepEqual(body.Env, ['A_1=4', 'B=2', 'Z=5', 'a=3', 'b=1']);
});

test('the spec hash does not depend on the order environment keys were written in', () => {
  const one = service('web', { env: { A: '1', b: '2', C: '3' } });
  const other = service('web', { env: { C: '3', A: '1', b: '2' } });
  assert.equal(specHash(serviceBody('prod', stack('shop', [one]), one)), specHash(serviceBody('prod', stack('shop', [other]), other)));
});
