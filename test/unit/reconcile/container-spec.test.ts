import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { serviceBody, specHash } from '../../../src/reconcile/plan/container-spec.js';
import { service, stack } from './builders.js';

const ENV = { i_x: '1', I_Y: '2', DBNAME: '3', DB_HOST: '4', b: '5', A: '6' };

function hashOf(env: Record<string, string>): { env: string[] | undefined; hash: string } {
  const st = stack('shop', [service('web', { env })]);
  const body = serviceBody('prod', st, st.services[0]!);
  return { env: body.Env, hash: specHash(body) };
}

test('Env is in one fixed (English) collation order, the order spec hashes have been made with', () => {
  // Not code-point order (which would put DBNAME before DB_HOST and I_Y before b), so that
  // upgrading does not change the hash of services already deployed.
  assert.deepEqual(hashOf(ENV).env, ['A=6', 'b=5', 'DB_HOST=4', 'DBNAME=3', 'i_x=1', 'I_Y=2']);
});

test('the spec hash is the same under another locale of the machine (tr_TR orders I and i differently)', () => {
  const moduleUrl = new URL('../../../src/reconcile/plan/container-spec.js', import.meta.url).href;
  const script = `
    const { serviceBody, specHash } = await import(${JSON.stringify(moduleUrl)});
    const st = ${JSON.stringify(stack('shop', [service('web', { env: ENV })]))};
    const body = serviceBody('prod', st, st.services[0]);
    process.stdout.write(JSON.stringify({ locale: Intl.Collator().resolvedOptions().locale, plain: ['i_x', 'I_Y'].sort((a, b) => a.localeCompare(b)), env: body.Env, hash: specHash(body) }));
  `;
  const run = (locale: string) => JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, LC_ALL: locale, LANG: locale }, encoding: 'utf8' })) as { locale: string; plain: string[]; env: string[]; hash: string };
  const turkish = run('tr_TR.UTF-8');
  const english = run('en_US.UTF-8');
  if (turkish.locale !== 'tr-TR') {
    assert.fail(`this Node has no Turkish locale data (got ${turkish.locale}); the test needs full ICU`);
  }
  assert.deepEqual(turkish.plain, ['I_Y', 'i_x'], 'the machine locale really orders differently');
  assert.deepEqual(turkish.env, english.env);
  assert.equal(turkish.hash, english.hash);
  assert.equal(english.hash, hashOf(ENV).hash);
});

test('the spec hash does not depend on the order environment keys were written in', () => {
  assert.equal(hashOf({ A: '1', b: '2', C: '3' }).hash, hashOf({ C: '3', A: '1', b: '2' }).hash);
});
