// Swarm placement constraints: parsing and matching against declared nodes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeMatches, parseConstraint } from '../../../src/manifests/constraints.js';
import type { NodeSpec, PlacementConstraint } from '../../../src/manifests/model.js';

const parsed = (text: string): PlacementConstraint => {
  const result = parseConstraint(text);
  assert.ok(result.ok, result.ok ? '' : result.message);
  return result.constraint;
};
const node = (name: string, labels: Record<string, string>): NodeSpec => ({ name, endpoint: 'unix:///var/run/docker.sock', labels });

test('node.name, node.hostname and node.labels.<key> with == and !=, spaces allowed', () => {
  assert.deepEqual(parsed('node.name==a'), { field: 'name', operator: '==', value: 'a', text: 'node.name==a' });
  assert.deepEqual(parsed('node.hostname != b'), { field: 'name', operator: '!=', value: 'b', text: 'node.hostname != b' });
  assert.deepEqual(parsed('node.labels.zone==eu-1'), { field: 'label', labelKey: 'zone', operator: '==', value: 'eu-1', text: 'node.labels.zone==eu-1' });
  assert.equal(parsed('node.labels.com.example.tier==web').labelKey, 'com.example.tier');
});

test('malformed and unsupported constraints are refused with the supported forms', () => {
  const message = (text: string) => {
    const result = parseConstraint(text);
    assert.equal(result.ok, false, text);
    return (result as { message: string }).message;
  };
  assert.match(message('node.labels.zone = a'), /compare with == or !=/);
  assert.match(message('node.labels.zone=='), /is not of the form/);
  assert.match(message('zone'), /is not of the form/);
  assert.match(message('node.role==manager'), /uses "node\.role"; Flotilla supports node\.name, node\.hostname and node\.labels\.<key>/);
  assert.match(message('node.labels.==x'), /uses "node\.labels\."/);
  assert.match(message('engine.labels.os==linux'), /uses "engine\.labels\.os"/);
});

test('a node matches when every constraint holds; a missing label never equals a value', () => {
  const a = node('a', { zone: 'a', role: 'web' });
  const b = node('b', { zone: 'b' });
  const constraints = [parsed('node.labels.role==web'), parsed('node.name!=b')];
  assert.equal(nodeMatches(a, constraints), true);
  assert.equal(nodeMatches(b, constraints), false);
  assert.equal(nodeMatches(b, [parsed('node.labels.role!=web')]), true, 'absent differs from any value');
  assert.equal(nodeMatches(b, []), true);
});
