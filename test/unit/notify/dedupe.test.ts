import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StandingEventFilter } from '../../../src/notify/dedupe.js';
import { event } from './support.js';

const stopped = (count: number) => event('drift', { details: { drift: [{ stack: 'shop', service: 'web', node: 'node-a', kind: 'stopped', count, containers: ['abc'] }] } });
const cleared = event('drift', { services: [], nodes: [], stacks: [], details: { drift: [] } });

test('the same drift is announced once, however many cycles report it', () => {
  const filter = new StandingEventFilter();
  assert.equal(filter.admit(stopped(1)), true);
  assert.equal(filter.admit(stopped(1)), false);
  assert.equal(filter.admit(event('drift', { at: 'later', details: { drift: [{ stack: 'shop', service: 'web', node: 'node-a', kind: 'stopped', count: 1, containers: ['other-id'] }] } })), false);
});

test('a changed drift set is announced again', () => {
  const filter = new StandingEventFilter();
  assert.equal(filter.admit(stopped(1)), true);
  assert.equal(filter.admit(stopped(2)), true);
  assert.equal(filter.admit(stopped(2)), false);
});

test('drift that cleared and came back is announced again; the clearing itself is not sent', () => {
  const filter = new StandingEventFilter();
  assert.equal(filter.admit(stopped(1)), true);
  assert.equal(filter.admit(cleared), false);
  assert.equal(filter.admit(stopped(1)), true);
});

test('without drift details the services and nodes are the fingerprint', () => {
  const filter = new StandingEventFilter();
  assert.equal(filter.admit(event('drift')), true);
  assert.equal(filter.admit(event('drift', { message: 'reworded' })), false);
  assert.equal(filter.admit(event('drift', { services: ['shop/web', 'shop/api'] })), true);
});

test('one-off events always pass, node_down included (the reconciler sends it on the transition only)', () => {
  const filter = new StandingEventFilter();
  assert.equal(filter.admit(event('node_down', { nodes: ['node-b'] })), true);
  assert.equal(filter.admit(event('node_down', { nodes: ['node-b'] })), true);
  assert.equal(filter.admit(event('deployed')), true);
  assert.equal(filter.admit(event('deployed')), true);
});

test('clusters are tracked separately', () => {
  const filter = new StandingEventFilter();
  assert.equal(filter.admit(stopped(1)), true);
  assert.equal(filter.admit({ ...stopped(1), cluster: 'staging' }), true);
});
