// Compose `configs:` and `secrets:` (top level and per service, short and long syntax) and
// relative bind mounts of repo files: where they go, their bytes and digests, and every
// mistake reported at its file:line. Secret bytes never reach JSON or util.inspect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { directoryReader } from '../../../src/manifests/repo-reader.js';
import { contentBytes } from '../../../src/manifests/secret-bytes.js';
import type { DeliveredFile, ServiceSpec } from '../../../src/manifests/model.js';
import { serviceBody, specHash } from '../../../src/reconcile/plan/container-spec.js';
import { LABEL } from '../../../src/docker/labels.js';
import { assertProblems, CLUSTER, COMPOSE, loadInline, memoryReader } from './support.js';

const APP = `services:
  web:
    image: nginx:1.27
    configs:
      - site.conf
      - source: motd
        target: /etc/motd
        mode: 0440
        uid: "101"
        gid: 101
    secrets:
      - db_password
      - source: api_key
        target: keys/api
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
      - ./html:/usr/share/nginx/html
configs:
  site.conf:
    file: ./conf/site.conf
  motd:
    content: "hello"
secrets:
  db_password:
    file: ../../secrets/db_password.txt
  api_key:
    environment: API_KEY
`;

const FILES = {
  'stacks/app/conf/site.conf': 'server {}\n',
  'stacks/app/nginx.conf': 'events {}\n',
  'stacks/app/html/index.html': '<h1>hi</h1>\n',
  'stacks/app/html/css/site.css': 'body {}\n',
  'secrets/db_password.txt': 'correct horse',
  'stacks/app/.env': 'API_KEY=k-123\n',
};

function files(service: ServiceSpec | undefined): Map<string, DeliveredFile> {
  return new Map((service?.files ?? []).map((f) => [f.target, f]));
}

function text(file: DeliveredFile | undefined, path = ''): string | undefined {
  const entry = file?.entries.find((e) => e.path === path);
  return entry ? contentBytes(entry.content)?.toString('utf8') : undefined;
}

test('configs, secrets and relative bind mounts become delivered files with Compose defaults', async () => {
  const result = await loadInline(APP, FILES);
  assert.deepEqual(result.problems, []);
  const byTarget = files(result.state?.stacks[0]?.services[0]);
  assert.deepEqual([...byTarget.keys()].sort(), ['/etc/motd', '/etc/nginx/nginx.conf', '/run/secrets/db_password', '/run/secrets/keys/api', '/site.conf', '/usr/share/nginx/html']);
  const site = byTarget.get('/site.conf');
  assert.deepEqual([site?.kind, site?.mode, site?.uid, site?.gid], ['config', 0o444, 0, 0]);
  assert.equal(text(site), 'server {}\n');
  const motd = byTarget.get('/etc/motd');
  assert.deepEqual([motd?.mode, motd?.uid, motd?.gid], [0o440, 101, 101], '0440 is octal, as in Compose');
  assert.equal(text(motd), 'hello');
  assert.equal(text(byTarget.get('/run/secrets/db_password')), 'correct horse');
  assert.equal(byTarget.get('/run/secrets/db_password')?.kind, 'secret');
  assert.equal(text(byTarget.get('/run/secrets/keys/api')), 'k-123', 'environment: reads the stack .env');
  const conf = byTarget.get('/etc/nginx/nginx.conf');
  assert.deepEqual([conf?.kind, conf?.name, conf?.directory], ['config', 'stacks/app/nginx.conf', false]);
  const html = byTarget.get('/usr/share/nginx/html');
  assert.equal(html?.directory, true);
  assert.deepEqual(html?.entries.map((e) => e.path).sort(), ['css/site.css', 'index.html']);
  assert.equal(text(html, 'css/site.css'), 'body {}\n');
  assert.deepEqual(result.state?.stacks[0]?.services[0]?.mounts, [], 'repo files are not bind mounts of the node');
});

test('secret bytes never appear in JSON or util.inspect of the desired state, nor in the create body', async () => {
  const result = await loadInline(APP, FILES);
  const state = result.state;
  assert.ok(state);
  const json = JSON.stringify(state);
  assert.ok(!json.includes('correct horse') && !json.includes('k-123'), 'no secret in JSON');
  assert.ok(!json.includes(Buffer.from('correct horse').toString('base64')), 'not even in base64');
  assert.ok(json.includes(Buffer.from('server {}\n').toString('base64')), 'configs are kept (a revert needs them)');
  const shown = inspect(state, { depth: 20 });
  assert.ok(!shown.includes('correct horse') && !shown.includes('k-123'));
  const stack = state.stacks[0];
  const service = stack?.services[0];
  assert.ok(stack && service);
  const body = JSON.stringify(serviceBody('c', stack, service));
  assert.ok(!body.includes('correct horse') && !body.includes('k-123') && !body.includes('server {}'));
  const label = JSON.parse(serviceBody('c', stack, service).Labels[LABEL.files] as string) as Record<string, string>;
  assert.deepEqual(Object.keys(label).sort(), ['config motd', 'config site.conf', 'config stacks/app/html', 'config stacks/app/nginx.conf', 'secret api_key', 'secret db_password']);
  for (const digest of Object.values(label)) assert.match(digest, /^[0-9a-f]{16}$/);
});

test('a changed file changes the spec hash; an unchanged one keeps it; a service without files has no files label', async () => {
  const hashOf = async (extra: Record<string, string>, compose = APP, key?: Buffer) => {
    const result = await loadDesiredState(memoryReader({ 'clusters/c/cluster.yaml': CLUSTER, [COMPOSE]: compose, ...FILES, ...extra }), 'clusters/c', key ? { digestKey: key } : {});
    const stack = result.state?.stacks[0];
    const service = stack?.services[0];
    assert.ok(stack && service, JSON.stringify(result.problems));
    return specHash(serviceBody('c', stack, service));
  };
  const base = await hashOf({});
  assert.equal(await hashOf({}), base);
  assert.notEqual(await hashOf({ 'stacks/app/nginx.conf': 'events { worker_connections 10; }\n' }), base);
  assert.notEqual(await hashOf({ 'stacks/app/html/index.html': '<h1>v2</h1>\n' }), base);
  assert.notEqual(await hashOf({ 'secrets/db_password.txt': 'battery staple' }), base);
  // The same secret under another cluster key: another digest, so a label says nothing about the bytes.
  assert.notEqual(await hashOf({}, APP, Buffer.alloc(32, 1)), await hashOf({}, APP, Buffer.alloc(32, 2)));
  const plain = await loadInline('services:\n  web:\n    image: nginx:1.27\n');
  const stack = plain.state?.stacks[0];
  assert.ok(stack?.services[0]);
  assert.equal(LABEL.files in serviceBody('c', stack, stack.services[0]).Labels, false);
  assert.equal('files' in stack.services[0], false);
});

test('mistakes are reported at their file:line, all at once', async () => {
  const compose = `services:
  web:
    image: nginx:1.27
    read_only: true
    configs: [nope, motd]
    secrets:
      - source: pw
        mode: 999
        uid: www-data
    volumes:
      - ./absent.conf:/etc/absent.conf
      - ../../../outside:/etc/outside
configs:
  both:
    file: ./a
    content: x
  motd:
    content: hi
secrets:
  pw:
    environment: PW
  missing_file:
    file: ./no-such-secret
  from_env:
    environment: NOT_SET
`;
  assertProblems(await loadInline(compose, { 'stacks/app/.env': 'PW=x\n' }), [
    { file: COMPOSE, line: 4, pointer: '/services/web/read_only', message: /read-only root filesystem/ },
    { file: COMPOSE, line: 5, pointer: '/services/web/configs/0', message: /config "nope" is not declared under the top-level `configs:` \(declared: motd\)/ },
    { file: COMPOSE, line: 8, pointer: '/services/web/secrets/0/mode', message: /mode "999" is not a file mode/ },
    { file: COMPOSE, line: 9, pointer: '/services/web/secrets/0/uid', message: /"www-data" is not a numeric user or group id/ },
    { file: COMPOSE, line: 11, pointer: '/services/web/volumes/0', message: /bind mount source \.\/absent\.conf does not exist in the repository \(looked for stacks\/app\/absent\.conf\)/ },
    { file: COMPOSE, line: 12, pointer: '/services/web/volumes/1', message: /leaves the repository/ },
    { file: COMPOSE, line: 14, pointer: '/configs/both', message: /needs exactly one of .*not file and content/ },
    { file: COMPOSE, line: 23, pointer: '/secrets/missing_file/file', message: /secret file \.\/no-such-secret does not exist in the repository/ },
    { file: COMPOSE, line: 25, pointer: '/secrets/from_env/environment', message: /reads variable NOT_SET, which the stack's \.env does not set/ },
  ]);
});

test('external configs and secrets are refused by name', async () => {
  const result = await loadInline('services:\n  web:\n    image: nginx:1.27\nsecrets:\n  pw:\n    external: true\n');
  assert.equal(result.state, undefined);
  assert.match(result.problems.map((p) => `${p.line} ${p.message}`).join('\n'), /6 .*external/);
});

test('the files a stack delivers are capped at 1 MiB in all, named in the error', async () => {
  const big = 'x'.repeat(700 * 1024);
  const compose = 'services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./a.bin:/a\n      - ./b.bin:/b\n';
  assertProblems(await loadInline(compose, { 'stacks/app/a.bin': big, 'stacks/app/b.bin': big }), [
    { file: COMPOSE, line: 6, pointer: '/services/web/volumes/1', message: /add up to more than 1 MiB, the limit per stack/ },
  ]);
  // The same file used twice counts once.
  const twice = 'services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./a.bin:/a\n  api:\n    image: nginx:1.27\n    volumes:\n      - ./a.bin:/a\n';
  assert.deepEqual((await loadInline(twice, { 'stacks/app/a.bin': big })).problems, []);
});

test('a symbolic link named by a relative bind mount is refused like an env_file link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cfg-'));
  try {
    mkdirSync(join(dir, 'clusters/c'), { recursive: true });
    mkdirSync(join(dir, 'stacks/app'), { recursive: true });
    writeFileSync(join(dir, 'clusters/c/cluster.yaml'), CLUSTER);
    writeFileSync(join(dir, 'stacks/app/compose.yaml'), 'services:\n  web:\n    image: nginx:1.27\n    volumes:\n      - ./passwd:/etc/x\n');
    symlinkSync('/etc/passwd', join(dir, 'stacks/app/passwd'));
    const result = await loadDesiredState(await directoryReader(dir), 'clusters/c');
    assert.equal(result.state, undefined);
    assert.equal(result.problems.length, 1);
    assert.equal(result.problems[0]?.file, 'stacks/app/passwd');
    assert.match(result.problems[0]?.message ?? '', /symbolic link to a file outside the repository/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
