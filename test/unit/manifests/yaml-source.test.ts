// Parsing one manifest with positions: merge keys and anchors work as in Compose, heavy
// but legitimate anchor reuse is accepted, and paths map back to the right line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ManifestProblem } from '../../../src/manifests/problems.js';
import { parseYamlSource } from '../../../src/manifests/yaml-source.js';
import { loadInline } from './support.js';

function parse(text: string) {
  const problems: ManifestProblem[] = [];
  const source = parseYamlSource('f.yaml', text, problems);
  return { source, problems };
}

test('<< merge keys copy an anchor\'s keys; keys written on the map win over merged ones', () => {
  const { source, problems } = parse('x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\nz:\n  <<: [*d, {c: 4}]\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(source?.value, { x: { a: 1, b: 2 }, y: { a: 1, b: 3 }, z: { a: 1, b: 2, c: 4 } });
});

test('one anchor reused by hundreds of services is not mistaken for an alias bomb', async () => {
  const services = Array.from({ length: 400 }, (_, i) => `  s${i}:\n    <<: *base\n    image: nginx\n`).join('');
  const result = await loadInline(`x-base: &base\n  restart: always\n  labels: { team: a, tier: b }\nservices:\n${services}`);
  assert.deepEqual(result.problems, []);
  assert.equal(result.state?.stacks[0]?.services.length, 400);
  assert.equal(result.state?.stacks[0]?.services[399]?.restart, 'always');
});

test('locate maps a JSON path to the line and column of the value or key, falling back to the nearest ancestor', () => {
  const { source } = parse('services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n');
  assert.ok(source);
  assert.deepEqual(source.locate(['services', 'web', 'image']), { line: 3, col: 12 });
  assert.deepEqual(source.locate(['services', 'web', 'image'], 'key'), { line: 3, col: 5 });
  assert.deepEqual(source.locate(['services', 'web', 'ports', 0]), { line: 5, col: 9 });
  assert.deepEqual(source.locate(['services', 'web', 'missing', 'deeper']), { line: 3, col: 5 });
  assert.deepEqual(source.problem(['services', 'web'], 'm', 'key'), { file: 'f.yaml', line: 2, col: 3, pointer: '/services/web', message: 'm' });
});

test('locate follows aliases and merge keys to where the value is written', () => {
  const { source } = parse('x-env: &env\n  A: "1"\nx-d: &d\n  restart: always\nservices:\n  web:\n    <<: *d\n    environment: *env\n');
  assert.ok(source);
  assert.deepEqual(source.locate(['services', 'web', 'restart']), { line: 4, col: 12 });
  assert.deepEqual(source.locate(['services', 'web', 'environment', 'A']), { line: 2, col: 6 });
});

test('JSON pointers escape ~ and / in keys', () => {
  const { source } = parse('labels:\n  a/b~c: x\n');
  assert.equal(source?.problem(['labels', 'a/b~c'], 'm').pointer, '/labels/a~1b~0c');
});

test('tabs used for indentation are a syntax error at the tab', () => {
  const { source, problems } = parse('services:\n\tweb: {}\n');
  assert.equal(source, undefined);
  assert.deepEqual(problems.map((p) => [p.line, p.col]), [[2, 1]]);
  assert.match(problems[0]?.message ?? '', /YAML syntax error: Tabs are not allowed/);
});

test('standard tags (!!str) are honoured while unknown ones are refused', () => {
  const { source, problems } = parse('a: !!str 5\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(source?.value, { a: '5' });
  const custom = parse('a: !override [x]\n');
  assert.equal(custom.source, undefined);
  assert.match(custom.problems[0]?.message ?? '', /unsupported YAML tag !override/);
});

test('an empty file parses to nothing, which the schema then refuses as not a mapping', async () => {
  assert.equal(parse('').source?.value, null);
  const result = await loadInline('# nothing but a comment\n');
  assert.equal(result.problems.length, 1);
  assert.match(result.problems[0]?.message ?? '', /the document must be a mapping, got nothing/);
});
