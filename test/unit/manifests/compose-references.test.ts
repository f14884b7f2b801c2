// `extends` and `include` resolved inside the config repo as Docker Compose merges them,
// with every problem pointing at the file and line where it was written.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadDesiredState, type LoadResult } from '../../../src/manifests/load.js';
import { directoryReader } from '../../../src/manifests/repo-reader.js';
import type { ServiceSpec } from '../../../src/manifests/model.js';
import { memoryReader } from './support.js';

const CLUSTER = `apiVersion: flotilla/v1alpha1
kind: Cluster
metadata: { name: c }
spec:
  nodes:
    - name: node-a
      endpoint: unix:///var/run/docker.sock
  stacks:
    - name: app
      compose: stacks/app/compose.yaml
`;

async function load(files: Record<string, string>): Promise<LoadResult> {
  return loadDesiredState(memoryReader({ 'clusters/c/cluster.yaml': CLUSTER, ...files }), 'clusters/c');
}

function service(result: LoadResult, name: string): ServiceSpec {
  assert.deepEqual(result.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`), []);
  const found = result.state?.stacks[0]?.services.find((s) => s.name === name);
  assert.ok(found, `service ${name}`);
  return found;
}

function problems(result: LoadResult): string[] {
  return result.problems.map((p) => `${p.file}:${p.line}: ${p.message}`);
}

test('extends in the same file merges as Compose does: mappings by key, command replaced, ports and volumes by their unique key, dns once', async () => {
  const result = await load({
    'stacks/app/compose.yaml': `
services:
  base:
    image: web:1
    command: ["serve", "--slow"]
    environment: [A=1, B=2]
    labels: { team: web }
    ports: ["8080:80", "9000:9000"]
    volumes: ["data:/data", "logs:/logs"]
    dns: [10.0.0.1, 10.0.0.2]
    healthcheck: { test: [CMD, check-a], interval: 5s, retries: 3 }
    deploy: { replicas: 1, resources: { limits: { memory: 64M } } }
  web:
    extends: base
    command: ["serve"]
    environment: { B: "3", C: "4" }
    labels: [tier=front]
    ports: ["8080:80", "127.0.0.1:9100:9100"]
    volumes: ["other:/data"]
    dns: 10.0.0.2
    healthcheck: { test: [CMD, check-b] }
    deploy: { update_config: { parallelism: 2 } }
volumes: { data: {}, logs: {}, other: {} }
`,
  });
  const web = service(result, 'web');
  assert.deepEqual(web.command, ['serve']);
  assert.deepEqual(web.environment, { A: '1', B: '3', C: '4' });
  assert.equal(web.labels.team, 'web');
  assert.equal(web.labels.tier, 'front');
  assert.deepEqual(web.ports.map((p) => `${p.hostIp ?? ''}:${p.published}:${p.target}`), [':8080:80', ':9000:9000', '127.0.0.1:9100:9100']);
  assert.deepEqual(web.mounts.map((m) => `${'source' in m ? m.source : ''}:${m.target}`), ['other:/data', 'logs:/logs']);
  assert.deepEqual(web.dns, ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(web.healthcheck?.test, ['CMD', 'check-b']);
  assert.equal(web.healthcheck?.retries, 3);
  assert.equal(web.deploy.replicas, 1);
  assert.equal(web.deploy.updateConfig.parallelism, 2);
  assert.equal(web.deploy.limits.memoryBytes, 64 * 1024 * 1024);
  // The base service stays part of the stack, as in Compose.
  assert.deepEqual(service(result, 'base').command, ['serve', '--slow']);
});

test('extends from another file: the base service is not deployed, and its relative paths stay relative to its own file', async () => {
  const result = await load({
    'stacks/app/compose.yaml': `
services:
  web:
    extends: { file: ../common/services.yaml, service: nginx }
    image: web:2
    environment: { ROLE: web }
`,
    'stacks/common/services.yaml': `
services:
  nginx:
    image: web:1
    env_file: ./nginx.env
    volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro"]
    environment: { WORKERS: "2" }
`,
    'stacks/common/nginx.env': 'FROM_ENV_FILE=yes\n',
    'stacks/common/nginx.conf': 'events {}\n',
  });
  const web = service(result, 'web');
  assert.equal(web.image, 'web:2');
  assert.deepEqual(web.environment, { FROM_ENV_FILE: 'yes', WORKERS: '2', ROLE: 'web' });
  assert.deepEqual(web.files?.map((f) => [f.name, f.target]), [['stacks/common/nginx.conf', '/etc/nginx/nginx.conf']]);
  assert.deepEqual(result.state?.stacks[0]?.services.map((s) => s.name), ['web']);
});

test('extends chains through files, and a file the chain reaches twice is read once', async () => {
  const result = await load({
    'stacks/app/compose.yaml': 'services:\n  a:\n    extends: { file: lib/b.yaml, service: b }\n  c:\n    extends: { file: lib/b.yaml, service: b }\n    user: "1000"\n',
    'stacks/app/lib/b.yaml': 'services:\n  b:\n    extends: base\n    cap_add: [NET_ADMIN]\n  base:\n    image: web:1\n    cap_add: [NET_ADMIN, SYS_TIME]\n',
  });
  assert.deepEqual(service(result, 'a').capAdd, ['NET_ADMIN', 'SYS_TIME']);
  assert.equal(service(result, 'c').user, '1000');
});

test('include brings a whole project: its services, networks and volumes, its paths relative to itself, its own .env as defaults', async () => {
  const result = await load({
    'stacks/app/compose.yaml': `
include:
  - ../db/compose.yaml
services:
  web:
    image: web:\${TAG}
    depends_on: { db: { condition: service_healthy } }
    networks: [backend]
`,
    'stacks/app/.env': 'TAG=7\nDB_TAG=16-from-app\n',
    'stacks/db/compose.yaml': `
services:
  db:
    image: postgres:\${DB_TAG}
    environment: { POSTGRES_DB: "\${DB_NAME}" }
    volumes: ["db-data:/var/lib/postgresql/data", "./init.sql:/docker-entrypoint-initdb.d/init.sql:ro"]
    networks: [backend]
    healthcheck: { test: [CMD, pg_isready] }
networks: { backend: {} }
volumes: { db-data: {} }
x-credentials: { note: "included anchors stay private to their file" }
`,
    'stacks/db/.env': 'DB_TAG=15\nDB_NAME=shop\n',
    'stacks/db/init.sql': 'create table t (id int);\n',
  });
  const db = service(result, 'db');
  // The including project's variables win over the included project's .env.
  assert.equal(db.image, 'postgres:16-from-app');
  assert.equal(db.environment.POSTGRES_DB, 'shop');
  assert.deepEqual(db.files?.map((f) => [f.name, f.target]), [['stacks/db/init.sql', '/docker-entrypoint-initdb.d/init.sql']]);
  assert.deepEqual(service(result, 'web').dependsOn, ['db']);
  const stack = result.state?.stacks[0];
  assert.deepEqual(stack?.networks.map((n) => n.dockerName), ['app_backend']);
  assert.deepEqual(stack?.volumes.map((v) => v.dockerName), ['app_db-data']);
});

test('include long form: several files merged in order, project_directory for paths, env_file for variables', async () => {
  const result = await load({
    'stacks/app/compose.yaml': `
include:
  - path: [../shared/cache.yaml, ../shared/cache.prod.yaml]
    project_directory: ../shared/files
    env_file: ../shared/cache.env
`,
    'stacks/shared/cache.yaml': 'services:\n  cache:\n    image: redis:${REDIS}\n    volumes: ["./redis.conf:/etc/redis.conf"]\n    configs: [{ source: motd, target: /etc/motd, mode: 0440 }]\nconfigs:\n  motd: { file: ./motd.txt }\n',
    'stacks/shared/cache.prod.yaml': 'services:\n  cache:\n    deploy: { replicas: 2 }\n',
    'stacks/shared/cache.env': 'REDIS=7\n',
    'stacks/shared/files/redis.conf': 'maxmemory 1mb\n',
    'stacks/shared/files/motd.txt': 'hello\n',
  });
  const cache = service(result, 'cache');
  assert.equal(cache.image, 'redis:7');
  assert.equal(cache.deploy.replicas, 2);
  assert.deepEqual(cache.files?.map((f) => [f.name, f.target, f.mode.toString(8)]), [['motd', '/etc/motd', '440'], ['stacks/shared/files/redis.conf', '/etc/redis.conf', '444']]);
});

test('an error in a value that came from another file points at that file and line', async () => {
  const result = await load({
    'stacks/app/compose.yaml': 'services:\n  web:\n    extends: { file: base.yaml, service: base }\n',
    'stacks/app/base.yaml': 'services:\n  base:\n    image: web:1\n    restart: sometimes\n',
  });
  assert.equal(result.problems.length, 1);
  assert.equal(`${result.problems[0]?.file}:${result.problems[0]?.line}`, 'stacks/app/base.yaml:4');
  assert.match(result.problems[0]?.message ?? '', /restart/);
});

test('what extends and include name is checked where it is written: missing services and files, cycles, paths out of the repository, conflicts', async () => {
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'services:\n  web:\n    image: x\n    extends: bsae\n  base:\n    image: y\n' })), [
    'stacks/app/compose.yaml:4: extends names the service "bsae", which stacks/app/compose.yaml does not define (it defines web, base)',
  ]);
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    extends: { file: other.yaml, service: c }\n', 'stacks/app/other.yaml': 'services:\n  c:\n    extends: { file: compose.yaml, service: a }\n' })), [
    'stacks/app/other.yaml:3: extends forms a cycle: stacks/app/compose.yaml a -> stacks/app/compose.yaml b -> stacks/app/other.yaml c -> stacks/app/compose.yaml a',
  ]);
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'include: [one.yaml]\nservices:\n  web: { image: x }\n', 'stacks/app/one.yaml': 'include: [./compose.yaml]\nservices:\n  one: { image: x }\n' })), [
    'stacks/app/one.yaml:1: include forms a cycle: stacks/app/compose.yaml -> stacks/app/one.yaml -> stacks/app/compose.yaml',
  ]);
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'services:\n  web:\n    extends:\n      service: base\n      file: ../../../etc/compose.yaml\n' })), [
    'stacks/app/compose.yaml:5: extends.file ../../../etc/compose.yaml is not inside the repository; it is read from the commit, relative to stacks/app/',
  ]);
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'include:\n  - db/compose.yaml\n  - https://github.com/acme/db.git\nservices:\n  web: { image: x }\n' })), [
    'stacks/app/compose.yaml:2: stacks/app/db/compose.yaml does not exist at this revision (paths are relative to the file that names them)',
    'stacks/app/compose.yaml:3: include https://github.com/acme/db.git is not in the repository; Flotilla resolves include only inside the config repository at the deployed commit, so copy the file into it',
  ]);
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'include: [db.yaml]\nservices:\n  db: { image: postgres:15 }\n', 'stacks/app/db.yaml': 'services:\n  db: { image: postgres:16 }\n' })), [
    'stacks/app/compose.yaml:1: the service "db" of db.yaml conflicts with the service "db" already declared for this stack; Compose does not merge included resources, so rename one of them',
  ]);
  // A relative path of the included file that leaves the repository from where it was written.
  assert.deepEqual(problems(await load({ 'stacks/app/compose.yaml': 'include: [../../db.yaml]\n', 'db.yaml': 'services:\n  db:\n    image: x\n    env_file: ../secrets.env\n' })), [
    'db.yaml:4: ../secrets.env leaves the repository (written in the repository root, where relative paths start); Flotilla reads only files of the repository',
  ]);
});

test('a symbolic link named by extends or include is refused as for env_file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-extends-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('clusters/c/cluster.yaml', CLUSTER);
  write('stacks/app/compose.yaml', 'include: [outside.yaml]\n');
  const outside = mkdtempSync(join(tmpdir(), 'flotilla-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  writeFileSync(join(outside, 'db.yaml'), 'services:\n  db: { image: x }\n');
  symlinkSync(join(outside, 'db.yaml'), join(dir, 'stacks/app/outside.yaml'));
  const result = await loadDesiredState(await directoryReader(dir), 'clusters/c');
  assert.deepEqual(problems(result), ['stacks/app/outside.yaml:1: stacks/app/outside.yaml is a symbolic link to a file outside the repository; Flotilla reads only files inside it (copy the file into the repository)']);
});

test('an included project that extends a file of its own resolves that file from its own directory', async () => {
  const result = await load({
    'stacks/app/compose.yaml': 'include: [../mon/compose.yaml]\n',
    'stacks/mon/compose.yaml': 'services:\n  prom:\n    extends: { file: base/defaults.yaml, service: prom }\n    configs: [prom.yml]\nconfigs:\n  prom.yml: { file: ./prometheus.yml }\n',
    'stacks/mon/base/defaults.yaml': 'services:\n  prom:\n    image: prom:1\n    volumes: ["./rules:/etc/rules"]\n    configs: [{ source: prom.yml, target: /prom.yml, mode: 0400 }]\n',
    'stacks/mon/base/rules/a.yml': 'groups: []\n',
    'stacks/mon/prometheus.yml': 'scrape_configs: []\n',
  });
  const prom = service(result, 'prom');
  // The short `prom.yml` (target /prom.yml) and the base's long entry share their target: one entry, the local one.
  assert.deepEqual(prom.files?.map((f) => [f.name, f.target, f.mode.toString(8)]), [['prom.yml', '/prom.yml', '444'], ['stacks/mon/base/rules', '/etc/rules', '444']]);
});

test('a problem in an included service is reported in the included file', async () => {
  const result = await load({
    'stacks/app/compose.yaml': 'include: [db.yaml]\nservices:\n  web: { image: x }\n',
    'stacks/app/db.yaml': 'services:\n  db:\n    image: postgres:16\n    networks: [bakend]\nnetworks:\n  backend: {}\n',
  });
  assert.deepEqual(problems(result), ['stacks/app/db.yaml:4: network "bakend" is not declared under the top-level `networks:`; did you mean "backend"?']);
});
