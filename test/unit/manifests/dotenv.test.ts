// A stack's .env, read the way Compose reads it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDotenv } from '../../../src/manifests/dotenv.js';
import type { ManifestProblem } from '../../../src/manifests/problems.js';

function parse(text: string) {
  const problems: ManifestProblem[] = [];
  const vars = parseDotenv('stacks/app/.env', text, problems);
  return { vars: Object.fromEntries(vars), problems };
}

test('KEY=VALUE lines, comments, blank lines, CRLF and an export prefix', () => {
  const { vars, problems } = parse('# comment\r\nA=1\r\n\r\nexport B = two\nC=three # trailing comment\nD=\n');
  assert.deepEqual(problems, []);
  assert.deepEqual(vars, { A: '1', B: 'two', C: 'three', D: '' });
});

test('single quotes are literal, double quotes take \\n escapes, both keep # and spaces', () => {
  const { vars } = parse(`S='a \${X} # b'\nD="line1\\nline2 # kept"\nE="say \\"hi\\""\n`);
  assert.deepEqual(vars, { S: 'a ${X} # b', D: 'line1\nline2 # kept', E: 'say "hi"' });
});

test('later values may use earlier keys; unknown references are kept as written', () => {
  const { vars } = parse('HOST=db\nURL=postgres://${HOST}:5432\nRAW=${UNKNOWN}/x\nDEF=${NOPE:-fallback}\n');
  assert.deepEqual(vars, { HOST: 'db', URL: 'postgres://db:5432', RAW: '${UNKNOWN}/x', DEF: 'fallback' });
});

test('a line that is not KEY=VALUE and an unterminated quote are reported at their lines', () => {
  const { vars, problems } = parse('A=1\njust words\nB="open\nC=3\n');
  assert.deepEqual(vars, { A: '1', C: '3' });
  assert.deepEqual(problems.map((p) => [p.line, p.col]), [[2, 1], [3, 3]]);
  assert.match(problems[0]?.message ?? '', /expected KEY=VALUE, got "just words"/);
  assert.match(problems[1]?.message ?? '', /value of B has an unterminated quote/);
});
