// A corpus of Compose files written the way people write them (test/fixtures/corpus/<name>/,
// each a compose.yaml with the repo files it uses), loaded as one stack of a minimal
// cluster.yaml. Every file must validate unchanged; a file that touches a host feature the
// default policy forbids names the one policy switch the operator must turn on, and the
// share that needs nothing at all is pinned so a regression shows here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { loadDesiredState } from '../../../src/manifests/load.js';
import { FIXTURES, memoryReader } from './support.js';

const CORPUS = join(FIXTURES, 'corpus');

/**
 * Cluster policy a corpus entry needs, and why. No compose file is edited: these are
 * host features Flotilla refuses unless the cluster allows them, as DESIGN.md promises.
 */
const POLICY: Record<string, { policy: string; why: string }> = {
  // node-exporter reads the node's /proc and /sys: absolute host bind mounts.
  monitoring: { policy: 'allowBindMounts: [/proc, /sys]', why: 'node-exporter bind-mounts /proc and /sys of the host' },
  // Traefik's Docker provider watches the node's engine through its socket.
  'traefik-proxy': { policy: 'allowBindMounts: [/var/run/docker.sock]', why: 'traefik reads the Docker socket of the host' },
};

function cluster(name: string, policy?: string): string {
  return [
    'apiVersion: flotilla/v1alpha1',
    'kind: Cluster',
    'metadata: { name: corpus }',
    'spec:',
    '  nodes:',
    '    - name: node-a',
    '      endpoint: unix:///var/run/docker.sock',
    '    - name: node-b',
    '      endpoint: tcp://10.0.0.2:2376',
    '  stacks:',
    `    - name: ${name}`,
    `      compose: stacks/${name}/compose.yaml`,
    ...(policy ? [`  policy: { ${policy} }`] : []),
    '',
  ].join('\n');
}

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesOf(path) : [path];
  });
}

async function load(name: string, policy?: string) {
  const dir = join(CORPUS, name);
  const files: Record<string, Buffer | string> = { 'clusters/corpus/cluster.yaml': cluster(name, policy) };
  for (const file of filesOf(dir)) files[`stacks/${name}/${relative(dir, file)}`] = readFileSync(file);
  return loadDesiredState(memoryReader(files), 'clusters/corpus');
}

const entries = readdirSync(CORPUS).filter((e) => statSync(join(CORPUS, e)).isDirectory()).sort();

test('the corpus holds at least five realistic Compose projects', () => {
  assert.ok(entries.length >= 5, `only ${entries.length}: ${entries.join(', ')}`);
});

for (const name of entries) {
  test(`corpus/${name} validates unchanged${POLICY[name] ? ` once the cluster allows it (${POLICY[name].why})` : ''}`, async () => {
    const result = await load(name, POLICY[name]?.policy);
    assert.deepEqual(result.problems.map((p) => `${p.file}:${p.line}: ${p.message}`), []);
    assert.ok(result.state && result.state.stacks[0]!.services.length > 0);
  });
}

test('exactly the entries that use a host feature need a policy switch; the rest validate with the minimal cluster', async () => {
  const needing: string[] = [];
  for (const name of entries) {
    const result = await load(name);
    if (result.problems.length > 0) {
      needing.push(name);
      assert.ok(result.problems.every((p) => /policy/.test(p.message)), `${name} fails for something other than policy:\n${result.problems.map((p) => p.message).join('\n')}`);
    }
  }
  assert.deepEqual(needing, Object.keys(POLICY).sort());
  const share = (entries.length - needing.length) / entries.length;
  assert.equal(`${entries.length - needing.length}/${entries.length}`, '4/6', `share validating with no change at all: ${share}`);
});

test('the corpus files mean what they say: repo files delivered, fixed names kept, debug profile left out', async () => {
  const web = (await load('webapp-proxy-postgres')).state?.stacks[0];
  const proxy = web?.services.find((s) => s.name === 'proxy');
  assert.equal(proxy?.containerName, 'shop-proxy');
  assert.deepEqual(proxy?.files?.map((f) => [f.kind, f.target]), [['config', '/etc/nginx/nginx.conf']]);
  assert.deepEqual(web?.services.find((s) => s.name === 'db')?.files?.map((f) => [f.kind, f.target]), [['secret', '/run/secrets/db_password']]);
  const queue = (await load('queue-worker')).state?.stacks[0];
  assert.deepEqual(queue?.services.map((s) => s.name), ['redis', 'worker', 'scheduler']);
  const blog = (await load('blog-include-extends')).state?.stacks[0];
  assert.deepEqual(blog?.services.map((s) => s.name), ['web', 'jobs', 'postgres'], 'the extended base is not deployed; the included database is');
  const jobs = blog?.services.find((s) => s.name === 'jobs');
  assert.equal(jobs?.environment.LOG_LEVEL, 'warn');
  assert.equal(jobs?.environment.BLOG_TITLE, 'Field notes');
  assert.deepEqual(jobs?.files?.map((f) => [f.name, f.target]), [['pg_password', '/run/secrets/pg_password'], ['stacks/blog-include-extends/config/blog.toml', '/etc/blog/blog.toml']]);
  assert.deepEqual(blog?.services.find((s) => s.name === 'postgres')?.files?.map((f) => [f.name, f.directory]), [['pg_password', false], ['stacks/blog-include-extends/database/initdb', true]]);
  const traefik = (await load('traefik-proxy', POLICY['traefik-proxy']?.policy)).state?.stacks[0];
  assert.deepEqual(traefik?.services.find((s) => s.name === 'reverse-proxy')?.networkEndpoints, { proxy: { aliases: [], ipv4Address: '172.30.0.2' } });
});
