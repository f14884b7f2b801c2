// `flotilla validate` run in-process: exit 0 valid / 1 invalid, text and JSON output, and
// options from flags or FLOTILLA_* variables.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../../../src/cli/main.js';
import type { CommandIO } from '../../../src/cli/io.js';
import { fixturePath, repoRoot } from './support.js';

function capture(env: NodeJS.ProcessEnv = {}): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env };
}

const example = join(repoRoot(), 'example-repo');

test('a valid repo exits 0 and says what it found', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', example], io), 0);
  assert.match(io.stdout.join('\n'), /^clusters\/local: valid \(1 node\(s\), 2 stack\(s\), 3 service\(s\)\) at dir-[0-9a-f]{12}$/);
  assert.deepEqual(io.stderr, []);
});

test('an invalid repo exits 1 and prints every problem as file:line:col: message (at pointer), then a count', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', fixturePath('broken', 'many-errors-across-files'), '--path', 'clusters/c'], io), 1);
  assert.equal(io.stderr.length, 6);
  assert.match(io.stderr[0] ?? '', /^clusters\/c\/cluster\.yaml:19:12: `spec\.sync\.prune` must be a boolean.* \(at \/spec\/sync\/prune\)$/);
  assert.match(io.stderr[2] ?? '', /^stacks\/jobs\/\.env:2:1: expected KEY=VALUE/);
  assert.match(io.stderr[5] ?? '', /^clusters\/c: 5 errors at dir-/);
  assert.deepEqual(io.stdout, []);
});

test('--format json prints one document with valid, revision, cluster and the positioned errors', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', fixturePath('broken', 'port-out-of-range'), '--path', 'clusters/c', '--format', 'json'], io), 1);
  const report = JSON.parse(io.stdout.join('\n')) as { valid: boolean; revision: string; cluster: string; errors: unknown[] };
  assert.equal(report.valid, false);
  assert.match(report.revision, /^dir-/);
  assert.equal(report.cluster, 'clusters/c');
  assert.deepEqual(report.errors, [{
    file: 'stacks/app/compose.yaml', line: 5, col: 9, pointer: '/services/web/ports/0',
    message: 'port "99999:80": the host port "99999" is outside 1-65535; write it as "CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER", optionally with /tcp or /udp',
  }]);
});

test('--format json on a valid repo exits 0 with no errors', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', example, '--format', 'json'], io), 0);
  const report = JSON.parse(io.stdout.join('\n')) as { valid: boolean; cluster: string; errors: unknown[] };
  assert.deepEqual([report.valid, report.cluster, report.errors], [true, 'clusters/local', []]);
});

test('options also come from FLOTILLA_REPO, FLOTILLA_PATH and FLOTILLA_FORMAT', async () => {
  const io = capture({ FLOTILLA_REPO: fixturePath('valid', 'full'), FLOTILLA_PATH: 'clusters/prod', FLOTILLA_FORMAT: 'json' });
  assert.equal(await main(['validate'], io), 0);
  assert.equal((JSON.parse(io.stdout.join('\n')) as { cluster: string }).cluster, 'clusters/prod');
});

test('--path accepts the cluster.yaml itself and refuses a path outside the repository', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', example, '--path', 'clusters/local/cluster.yaml'], io), 0);
  const outside = capture();
  assert.equal(await main(['validate', '--repo', example, '--path', '../elsewhere'], outside), 1);
  assert.match(outside.stderr.join('\n'), /the cluster path must stay inside the repository/);
});

test('a --path without cluster.yaml exits 1 saying what --path should name', async () => {
  const io = capture();
  assert.equal(await main(['validate', '--repo', example, '--path', 'clusters/staging'], io), 1);
  assert.match(io.stderr[0] ?? '', /^clusters\/staging\/cluster\.yaml:1:1: the cluster file clusters\/staging\/cluster\.yaml does not exist/);
});

test('a repo with no cluster, or a missing directory, or a bad --format exits 1', async () => {
  const none = capture();
  assert.equal(await main(['validate', '--repo', join(repoRoot(), 'schemas')], none), 1);
  assert.match(none.stderr.join('\n'), /no clusters\/<name>\/cluster\.yaml found/);
  const missing = capture();
  assert.equal(await main(['validate', '--repo', join(repoRoot(), 'no-such-dir')], missing), 1);
  assert.match(missing.stderr.join('\n'), /no such directory/);
  const format = capture();
  assert.equal(await main(['validate', '--repo', example, '--format', 'yaml'], format), 1);
  assert.match(format.stderr.join('\n'), /--format must be text or json/);
});

test('an incomplete notification is a warning, not an error: exit 0, and JSON lists it under warnings', async () => {
  const io = capture();
  const repo = fixturePath('valid', 'notification-incomplete');
  assert.equal(await main(['validate', '--repo', repo], io), 0);
  assert.deepEqual(io.stderr, [
    'clusters/c/cluster.yaml:13:7: warning: notification statuses: the github provider needs repository: owner/name (at /spec/notifications/0)',
    'clusters/c/cluster.yaml:16:7: warning: notification ops: the slack provider needs urlFile or urlEnv (at /spec/notifications/1)',
  ]);
  assert.match(io.stdout[0] ?? '', /^clusters\/c: valid /);
  const json = capture();
  assert.equal(await main(['validate', '--repo', repo, '--format', 'json'], json), 0);
  const report = JSON.parse(json.stdout.join('\n')) as { valid: boolean; warnings: Array<{ file: string; line: number; pointer: string; message: string }> };
  assert.equal(report.valid, true);
  assert.deepEqual(report.warnings.map((w) => [w.file, w.line, w.pointer]), [['clusters/c/cluster.yaml', 13, '/spec/notifications/0'], ['clusters/c/cluster.yaml', 16, '/spec/notifications/1']]);
  assert.match(report.warnings[1]?.message ?? '', /the slack provider needs urlFile or urlEnv/);
});

test('an unknown notification provider, even an Object property name, is a schema error and not a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-validate-'));
  try {
    cpSync(fixturePath('valid', 'notification-incomplete'), dir, { recursive: true });
    const file = join(dir, 'clusters/c/cluster.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('provider: slack', 'provider: constructor'));
    const io = capture();
    assert.equal(await main(['validate', '--repo', dir], io), 1);
    assert.match(io.stderr.join('\n'), /clusters\/c\/cluster\.yaml:17:17: .*provider/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
