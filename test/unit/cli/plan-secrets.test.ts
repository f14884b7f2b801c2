// `flotilla plan` output goes to CI logs and PR comments: a value decrypted from an encrypted
// .env must not appear in it in any format, on plain hosts or on a swarm; the plan names the
// variable and says it changed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planCommand } from '../../../src/cli/plan.js';
import { planJson } from '../../../src/reconcile/report/plan-json.js';
import type { CommandIO } from '../../../src/cli/io.js';
import { cleanup, clusterFiles, LocalRepo, swarmClusterFiles } from '../review/support.js';

after(cleanup);

const SECRET_OLD = 'old-pa55word-7f3e';
const SECRET_NEW = 'new-pa55word-91ab';

function capture(): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env: {} };
}

function ageKey(): { keyFile: string; recipient: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-plan-age-'));
  const keyFile = join(dir, 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, 'utf8'))?.[1] as string;
  return { keyFile, recipient };
}

const encrypted = (recipient: string, plain: string): string => execFileSync('age', ['-r', recipient, '-a'], { input: plain }).toString('latin1');

function withSecretEnv(files: Record<string, string>, envFile: string): Record<string, string> {
  const compose = files['stacks/shop/compose.yaml'] as string;
  return { ...files, 'stacks/shop/compose.yaml': compose.replace(/(\n    image: [^\n]+)/, '$1\n    env_file: [db.env.age]'), 'stacks/shop/db.env.age': envFile };
}

for (const target of ['hosts', 'swarm'] as const) {
  test(`plan --base on ${target} never prints a value from an encrypted env file, in text, markdown or json`, async () => {
    const { keyFile, recipient } = ageKey();
    const r = await LocalRepo.create();
    const base = target === 'swarm' ? swarmClusterFiles({ web: ['example/web:1', 2] }) : clusterFiles({ nodes: [{ name: 'node-a', endpoint: 'unix:///run/none.sock' }], services: { web: ['example/web:1', 2] } });
    await r.commit(withSecretEnv(base, encrypted(recipient, `DB_PASSWORD=${SECRET_OLD}\n`)), 'base');
    await r.commitOnRef('refs/heads/feature', withSecretEnv(base, encrypted(recipient, `DB_PASSWORD=${SECRET_NEW}\n`)), 'rotate the password');
    for (const format of ['text', 'markdown', 'json']) {
      const io = capture();
      const code = await planCommand(['--repo', r.dir, '--ref', 'feature', '--base', 'main', '--format', format, '--age-key-file', keyFile, '--state-dir', join(r.dir, '.flotilla')], io);
      const all = [...io.stdout, ...io.stderr].join('\n');
      assert.equal(code, 0, all);
      assert.match(all, /DB_PASSWORD/, `${format}: the plan names the variable that changed`);
      for (const secret of [SECRET_OLD, SECRET_NEW]) assert.ok(!all.includes(secret), `${format} output holds a decrypted value:\n${all.slice(0, 3000)}`);
    }
  });
}


test('the JSON plan prints a file object\'s content as its size, and seals env below a sealed-env label, wherever they sit', () => {
  const plan = {
    actions: [
      { type: 'config-create', name: 'shop_dsn-0123456789', content: { base64: Buffer.from(`postgres://app:${SECRET_NEW}@db/app`).toString('base64') } },
      { type: 'service-update', spec: { Labels: { 'flotilla.sealed-env': JSON.stringify({ DB_PASSWORD: 'digest' }) }, TaskTemplate: { ContainerSpec: { Env: [`DB_PASSWORD=${SECRET_NEW}`, 'MODE=prod'] } } } },
    ],
  };
  const out = planJson(plan);
  assert.ok(!out.includes(SECRET_NEW), out);
  const parsed = JSON.parse(out) as { actions: Array<{ content?: string; spec?: { TaskTemplate: { ContainerSpec: { Env: string[] } } } }> };
  assert.equal(parsed.actions[0]?.content, `<${`postgres://app:${SECRET_NEW}@db/app`.length} bytes>`);
  assert.deepEqual(parsed.actions[1]?.spec?.TaskTemplate.ContainerSpec.Env, ['DB_PASSWORD=<sealed>', 'MODE=prod']);
});
