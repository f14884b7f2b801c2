// `${VAR}` interpolation: every Compose form, `$$`, nesting, and how substituted plain
// scalars are re-typed (numbers and booleans) while quoted ones stay strings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolate } from '../../../src/manifests/interpolate.js';
import { COMPOSE, loadInline } from './support.js';

const vars = new Map([['SET', 'value'], ['EMPTY', ''], ['N', '3'], ['INNER', 'inner']]);
const ok = (text: string) => {
  const result = interpolate(text, vars);
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.message}`);
  return result.value;
};
const fails = (text: string) => {
  const result = interpolate(text, vars);
  assert.equal(result.ok, false, `${text} should fail`);
  return result as { ok: false; message: string; index: number };
};

test('${VAR} and $VAR substitute a set variable, also in the middle of text', () => {
  assert.equal(ok('${SET}'), 'value');
  assert.equal(ok('pre-$SET-post'), 'pre-value-post');
  assert.equal(ok('a${N}b${N}'), 'a3b3');
});

test('${VAR:-default} uses the default when unset or empty; ${VAR-default} only when unset', () => {
  assert.equal(ok('${MISSING:-d}'), 'd');
  assert.equal(ok('${EMPTY:-d}'), 'd');
  assert.equal(ok('${SET:-d}'), 'value');
  assert.equal(ok('${MISSING-d}'), 'd');
  assert.equal(ok('${EMPTY-d}'), '');
});

test('${VAR:+alt} and ${VAR+alt} give the alternative only when set (and non-empty for :+)', () => {
  assert.equal(ok('${SET:+alt}'), 'alt');
  assert.equal(ok('${EMPTY:+alt}'), '');
  assert.equal(ok('${EMPTY+alt}'), 'alt');
  assert.equal(ok('${MISSING+alt}'), '');
});

test('${VAR:?message} fails when unset or empty, ${VAR?message} only when unset, with the message', () => {
  assert.match(fails('${MISSING:?tell me}').message, /required variable MISSING is not set.*: tell me$/);
  assert.match(fails('${EMPTY:?tell me}').message, /required variable EMPTY is empty.*: tell me$/);
  assert.equal(ok('${EMPTY?tell me}'), '');
  assert.match(fails('${MISSING?}').message, /MISSING must be set/);
  assert.equal(ok('${SET:?x}'), 'value');
});

test('$$ is a literal $, and a $ not followed by a name stays as written', () => {
  assert.equal(ok('$$HOME'), '$HOME');
  assert.equal(ok('cost: 5$'), 'cost: 5$');
  assert.equal(ok('$1 and $$$SET'), '$1 and $value');
});

test('defaults nest: ${A:-${B:-x}} and a default may reference a set variable', () => {
  assert.equal(ok('${MISSING:-${ALSO_MISSING:-x}}'), 'x');
  assert.equal(ok('${MISSING:-${INNER}}'), 'inner');
  assert.equal(ok('${MISSING:-{braces}}'), '{braces}');
});

test('failures say what to do and where in the text the reference starts', () => {
  const unset = fails('image: ${TAG}');
  assert.match(unset.message, /variable TAG is not set in the stack's \.env; set it there or give a default with \$\{TAG:-value\}/);
  assert.equal(unset.index, 7);
  assert.equal(fails('x $NOPE').index, 2);
  assert.match(fails('${N:-3').message, /unterminated "\$\{"/);
  assert.match(fails('${1BAD}').message, /a name must start with a letter or "_"/);
  assert.match(fails('${N*3}').message, /expected one of :- - :\? \? :\+ \+ after N/);
});

test('a plain ${N:-3} becomes the number 3 and a plain ${FLAG} true becomes a boolean; quoted stays a string', async () => {
  const result = await loadInline(
    'services:\n  web:\n    image: nginx\n    read_only: ${RO}\n    environment:\n      QUOTED: "${N:-3}"\n    deploy:\n      replicas: ${N:-3}\n',
    { 'stacks/app/.env': 'RO=true\n' },
  );
  assert.deepEqual(result.problems, []);
  const web = result.state?.stacks[0]?.services[0];
  assert.equal(web?.deploy.replicas, 3);
  assert.equal(web?.readOnly, true);
  assert.equal(web?.environment.QUOTED, '3');
});

test('a plain value substituted with text that looks like YAML syntax stays that text', async () => {
  const result = await loadInline('services:\n  web:\n    image: ${IMG}\n    command: ${CMD}\n', { 'stacks/app/.env': "IMG=nginx\nCMD='[not, a, list]'\n" });
  assert.deepEqual(result.problems, []);
  assert.deepEqual(result.state?.stacks[0]?.services[0]?.command, ['[not,', 'a,', 'list]']);
});

test('a substituted value of the wrong type is reported by the schema at the original scalar', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx\n    deploy:\n      replicas: ${N}\n', { 'stacks/app/.env': 'N=many\n' });
  assert.equal(result.problems.length, 1);
  assert.deepEqual([result.problems[0]?.file, result.problems[0]?.line, result.problems[0]?.col], [COMPOSE, 5, 17]);
  assert.match(result.problems[0]?.message ?? '', /must be an integer, got string "many"/);
});

test('keys are never interpolated, and the daemon environment is never read', async () => {
  process.env.FLOTILLA_TEST_LEAK = 'leaked';
  try {
    const result = await loadInline('services:\n  web:\n    image: nginx\n    environment:\n      ${KEY}: x\n      LEAK: ${FLOTILLA_TEST_LEAK:-not-read}\n');
    assert.deepEqual(result.state?.stacks[0]?.services[0]?.environment, { '${KEY}': 'x', LEAK: 'not-read' });
  } finally {
    delete process.env.FLOTILLA_TEST_LEAK;
  }
});

test('every unresolved reference of a file is reported, each at its own column', async () => {
  const result = await loadInline('services:\n  web:\n    image: "nginx:${A} ${B?need B}"\n    command: echo $$HOME ${C}\n');
  assert.deepEqual(result.problems.map((p) => [p.line, p.col, p.pointer]), [
    [3, 19, '/services/web/image'],
    [4, 26, '/services/web/command'],
  ]);
  assert.match(result.problems[0]?.message ?? '', /variable A is not set/);
});
