// Files committed encrypted: SOPS files made by the real sops (test/fixtures/sops, see its
// README) and age files made here by the real `age` CLI. Decryption, the MAC check, wrong keys,
// tampering, and what the loader makes of them (validate without keys warns; the daemon fails).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { decryptRepoFile } from '../../../src/manifests/secrets/decrypt-file.js';
import { AgeKeyring, parseAgeIdentities, readAgeKeyFiles } from '../../../src/manifests/secrets/age-identities.js';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { contentBytes } from '../../../src/manifests/secret-bytes.js';
import { hashableBody, serviceBody, specHash } from '../../../src/reconcile/plan/container-spec.js';
import { LABEL } from '../../../src/docker/labels.js';
import { CLUSTER, FIXTURES, memoryReader } from './support.js';

const SOPS = join(FIXTURES, 'sops');
const sopsKey = (): AgeKeyring => readAgeKeyFiles([join(SOPS, 'key.txt')]);
const fixture = (name: string): Buffer => readFileSync(join(SOPS, name));

function ageKeygen(): { identity: string; recipient: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-age-'));
  try {
    execFileSync('age-keygen', ['-o', join(dir, 'key.txt')], { stdio: 'pipe' });
    const text = readFileSync(join(dir, 'key.txt'), 'utf8');
    const identity = parseAgeIdentities(text, 'key.txt')[0] as string;
    const recipient = /public key: (age1\w+)/.exec(text)?.[1] as string;
    return { identity, recipient };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ageEncrypt(recipient: string, plain: string, armor = false): Buffer {
  return execFileSync('age', ['-r', recipient, ...(armor ? ['-a'] : [])], { input: plain });
}

test('SOPS files made by the real sops open with their age key, MAC checked (yaml, json, dotenv)', async () => {
  const yaml = await decryptRepoFile('s.yaml', fixture('secret.enc.yaml'), sopsKey());
  assert.equal(yaml.state, 'decrypted');
  assert.equal(yaml.state === 'decrypted' && yaml.bytes.toString(), 'secret: this is a secret\n');
  const json = await decryptRepoFile('s.json', fixture('secret.enc.json'), sopsKey());
  assert.ok(json.state === 'decrypted');
  assert.deepEqual(JSON.parse(json.bytes.toString()), { secret: 'this is a secret', string: 'string', int: 7, float: 3.14, boolean: true, complex: { value: 'this is a secret', array: ['one', 'two', 'three'] } });
  const env = await decryptRepoFile('s.env', fixture('secret.enc.env'), sopsKey());
  assert.ok(env.state === 'decrypted');
  assert.equal(env.bytes.toString(), `secret='"this is a secret"'\n`);
});

test('a SOPS file whose values were altered, swapped or put in clear fails its MAC or its tag, naming the file', async () => {
  const json = JSON.parse(fixture('secret.enc.json').toString()) as Record<string, unknown>;
  // `complex.value` holds the same plaintext as `secret`, but GCM binds each value to its path.
  const moved = { ...json, secret: (json.complex as Record<string, unknown>).value };
  await assert.rejects(decryptRepoFile('stacks/a/moved.json', Buffer.from(JSON.stringify(moved)), sopsKey()), /stacks\/a\/moved\.json: cannot decrypt this SOPS \(json\) file: the value at secret does not decrypt/);
  // The same plaintext in clear would give the same MAC input: refused as clear where sops encrypts.
  const clear = { ...json, string: 'string' };
  await assert.rejects(decryptRepoFile('clear.json', Buffer.from(JSON.stringify(clear)), sopsKey()), /clear\.json: .*the value at string is in clear where sops encrypts it/);
  const suffixed = { ...json, note_unencrypted: 'added later' };
  await assert.rejects(decryptRepoFile('added.json', Buffer.from(JSON.stringify(suffixed)), sopsKey()), /added\.json: .*MAC does not match/, 'an added clear key breaks the MAC');
  const { int: _dropped, ...removed } = json;
  await assert.rejects(decryptRepoFile('removed.json', Buffer.from(JSON.stringify(removed)), sopsKey()), /MAC does not match/);
  const edited = fixture('secret.enc.env').toString().replace('sops_lastmodified=2024-03-25T01:14:52Z', 'sops_lastmodified=2024-03-25T01:14:53Z');
  await assert.rejects(decryptRepoFile('e.env', Buffer.from(edited), sopsKey()), /MAC does not match/);
});

test('a SOPS file for other keys fails with its recipients named, never a key; without keys it is locked with its names', async () => {
  const other = new AgeKeyring([ageKeygen().identity]);
  const err = await decryptRepoFile('s.yaml', fixture('secret.enc.yaml'), other).then(() => undefined, (e: Error) => e);
  assert.match(String(err?.message), /s\.yaml: .*none of the age identities .* among its recipients \(age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr, /);
  assert.ok(!String(err?.message).includes('AGE-SECRET-KEY'));
  assert.deepEqual(await decryptRepoFile('s.env', fixture('secret.enc.env'), undefined), { state: 'locked', format: 'dotenv', keys: ['secret'] });
  const broken = fixture('secret.enc.yaml').toString().replace(/mac: ENC\[[^\n]*/, 'mac: nope');
  await assert.rejects(decryptRepoFile('b.yaml', Buffer.from(broken), undefined), /b\.yaml: .*mac is not an ENC/, 'structure is checked without keys');
});

test('age files made by the real age CLI open (binary and armored); a flipped byte or another key fails', async () => {
  const key = ageKeygen();
  const keyring = new AgeKeyring([key.identity]);
  for (const armor of [false, true]) {
    const sealed = ageEncrypt(key.recipient, 'hunter2-db-pass', armor);
    assert.deepEqual(await decryptRepoFile('db.age', sealed, keyring), { state: 'decrypted', format: 'age', bytes: Buffer.from('hunter2-db-pass') });
  }
  const sealed = ageEncrypt(key.recipient, 'hunter2-db-pass');
  sealed[sealed.length - 3] ^= 1;
  await assert.rejects(decryptRepoFile('db.age', sealed, keyring), /db\.age: cannot decrypt this age file: .*altered/);
  await assert.rejects(decryptRepoFile('db.age', ageEncrypt(ageKeygen().recipient, 'x'), keyring), /db\.age: .*none of the age identities/);
  assert.deepEqual(await decryptRepoFile('plain.txt', Buffer.from('a=b\n'), keyring), { state: 'clear', bytes: Buffer.from('a=b\n') });
  assert.equal(inspect(keyring), '[1 age identities]');
  assert.equal(JSON.stringify({ keyring }), '{"keyring":"[1 age identities]"}');
});

const COMPOSE = `services:
  db:
    image: postgres:16
    env_file: [./db.env]
    environment:
      PGUSER: app
      DSN: postgres://app:\${DB_PASS}@db/app
    secrets: [db_password]
secrets:
  db_password: { file: ./db_password.age }
`;

async function encryptedRepo(): Promise<{ files: Record<string, string | Buffer>; keyring: AgeKeyring }> {
  const key = ageKeygen();
  return {
    keyring: new AgeKeyring([key.identity]),
    files: {
      'clusters/c/cluster.yaml': CLUSTER,
      'stacks/app/compose.yaml': COMPOSE,
      'stacks/app/.env': ageEncrypt(key.recipient, 'DB_PASS=s3cr3t-from-dotenv\n'),
      'stacks/app/db.env': ageEncrypt(key.recipient, 'POSTGRES_PASSWORD=s3cr3t-from-env-file\n', true),
      'stacks/app/db_password.age': ageEncrypt(key.recipient, 'file-secret-xyz'),
    },
  };
}

test('with keys, encrypted .env, env_file and secret reach the spec in clear, and are sealed everywhere else', async () => {
  const { files, keyring } = await encryptedRepo();
  const digestKey = Buffer.alloc(32, 7);
  const result = await loadDesiredState(memoryReader(files), 'clusters/c', { ageKeys: keyring, digestKey, requireAgeKeys: true });
  assert.deepEqual(result.problems, []);
  const stack = result.state?.stacks[0];
  const db = stack?.services[0];
  assert.ok(stack && db);
  assert.equal(db.environment.POSTGRES_PASSWORD, 's3cr3t-from-env-file');
  assert.equal(db.environment.DSN, 'postgres://app:s3cr3t-from-dotenv@db/app');
  assert.deepEqual(Object.keys(db.sealedEnv ?? {}).sort(), ['DSN', 'POSTGRES_PASSWORD'], 'PGUSER is plain');
  assert.equal(contentBytes(db.files?.[0]?.entries[0]?.content as never)?.toString(), 'file-secret-xyz');
  const body = serviceBody('c', stack, db);
  assert.ok(body.Env?.includes('POSTGRES_PASSWORD=s3cr3t-from-env-file'), 'the container gets the value');
  const hashed = JSON.stringify(hashableBody(body, db.sealedEnv));
  assert.ok(!hashed.includes('s3cr3t'), 'what is hashed holds no value');
  assert.ok(!JSON.stringify(body.Labels).includes('s3cr3t'), 'labels hold digests only');
  assert.ok(body.Labels[LABEL.sealedEnv]);
  const h1 = specHash(hashableBody(body, db.sealedEnv));
  // A changed secret changes the hash, through its keyed digest.
  const again = await loadDesiredState(memoryReader({ ...files, 'stacks/app/db.env': ageEncrypt(/age1\w+/.exec(execFileSync('age-keygen', ['-y'], { input: keyring.identities()[0] as string }).toString())?.[0] as string, 'POSTGRES_PASSWORD=changed\n') }), 'clusters/c', { ageKeys: keyring, digestKey, requireAgeKeys: true });
  const db2 = again.state?.stacks[0]?.services[0];
  assert.ok(db2 && again.state);
  assert.notEqual(specHash(hashableBody(serviceBody('c', again.state.stacks[0] as never, db2), db2.sealedEnv)), h1);
  assert.ok(!JSON.stringify(result.state).includes('file-secret-xyz'));
});

test('validate without keys warns per encrypted file and passes; the daemon without keys refuses the commit', async () => {
  const { files } = await encryptedRepo();
  const validate = await loadDesiredState(memoryReader(files), 'clusters/c');
  assert.deepEqual(validate.problems.map((p) => p.message), [], 'locked files are not errors for validate');
  assert.deepEqual((validate.warnings ?? []).map((w) => w.file).sort(), ['stacks/app/.env', 'stacks/app/db.env', 'stacks/app/db_password.age']);
  assert.match(validate.warnings?.[0]?.message ?? '', /is encrypted \(age\) and no age identity was given .*--age-key-file/);
  const daemon = await loadDesiredState(memoryReader(files), 'clusters/c', { requireAgeKeys: true });
  assert.equal(daemon.state, undefined);
  assert.ok(daemon.problems.some((p) => p.file === 'stacks/app/.env' && /no age identity/.test(p.message)));
});

test('with keys, a SOPS env_file that fails its MAC is a validation error naming the file', async () => {
  const json = JSON.parse(fixture('secret.enc.json').toString()) as Record<string, unknown>;
  const files = {
    'clusters/c/cluster.yaml': CLUSTER,
    'stacks/app/compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    env_file: [./app.enc.json]\n',
    'stacks/app/app.enc.json': JSON.stringify({ ...json, extra_unencrypted: 'x' }),
  };
  const result = await loadDesiredState(memoryReader(files), 'clusters/c', { ageKeys: sopsKey() });
  assert.equal(result.state, undefined);
  assert.deepEqual(result.problems.map((p) => `${p.file}:${p.line}`), ['stacks/app/app.enc.json:1']);
  assert.match(result.problems[0]?.message ?? '', /MAC does not match/);
  // The real sops YAML file as an env_file: its top-level values become variables.
  const yamlRepo = { ...files, 'stacks/app/compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    env_file: [./app.enc.yaml]\n', 'stacks/app/app.enc.yaml': fixture('secret.enc.yaml') };
  const ok = await loadDesiredState(memoryReader(yamlRepo), 'clusters/c', { ageKeys: sopsKey() });
  assert.equal(ok.state?.stacks[0]?.services[0]?.environment.secret, 'this is a secret');
});

test('a value of an encrypted .env interpolated into a label or command is a validation error naming the service', async () => {
  const { files, keyring } = await encryptedRepo();
  const leaky = COMPOSE.replace('    secrets: [db_password]\n', '    secrets: [db_password]\n    labels: { dsn: "\${DB_PASS}" }\n    command: ["run", "--password=\${DB_PASS}"]\n');
  const result = await loadDesiredState(memoryReader({ ...files, 'stacks/app/compose.yaml': leaky }), 'clusters/c', { ageKeys: keyring });
  assert.equal(result.state, undefined);
  assert.deepEqual(result.problems.map((p) => `${p.file}:${p.line} ${/its (\w+) would hold/.exec(p.message)?.[1]}`), ['stacks/app/compose.yaml:2 command', 'stacks/app/compose.yaml:2 labels']);
  assert.ok(!JSON.stringify(result.problems).includes('s3cr3t'), 'the problem does not quote the value');
});
