// Configs and secrets through the whole reconcile over recording nodes: the archive is
// uploaded after create and before start, holds what the repo says, a commit that changes
// only a file replaces the replica and the plan names the file, and no secret byte reaches
// the state dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterYaml, startFlow, type Flow } from './flow-harness.js';
import { plan } from '../../../src/reconcile/plan/planner.js';
import { LABEL } from '../../../src/docker/labels.js';

const COMPOSE = 'stacks/shop/compose.yaml';
const SECRET = 'hunter2-not-in-any-file';

const compose = `services:
  web:
    image: web:1
    volumes:
      - ./site/index.html:/srv/index.html:ro
    secrets:
      - source: db_password
        mode: 0400
        uid: "1000"
secrets:
  db_password:
    file: ./db_password.txt
`;

function extract(tar: Buffer): Map<string, { text: string; listing: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-flow-tar-'));
  try {
    writeFileSync(join(dir, 'a.tar'), tar);
    const listing = execFileSync('tar', ['-tvf', join(dir, 'a.tar'), '--numeric-owner'], { encoding: 'utf8' }).trim().split('\n');
    execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
    return new Map(['srv/index.html', 'run/secrets/db_password'].map((p) => [p, { text: readFileSync(join(dir, p), 'utf8'), listing: listing.find((l) => l.endsWith(p)) ?? '' }]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nodeWith(flow: Flow, name: string) {
  const node = [...flow.nodes.values()].find((n) => n.container(name));
  assert.ok(node, `${name} exists somewhere`);
  return node;
}

test('files are uploaded between create and start, and hold what the commit says', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose, 'stacks/shop/site/index.html': 'v1 page', 'stacks/shop/db_password.txt': SECRET });
  assert.equal(await flow.run(), 'success');
  const node = nodeWith(flow, 'shop-web-1');
  const id = node.container('shop-web-1')?.id as string;
  const kinds = node.writes.filter((w) => w[0] !== 'ensureNetwork' && w[0] !== 'pull').map((w) => w[0]);
  assert.deepEqual(kinds, ['create', 'putArchive', 'start']);
  assert.deepEqual(node.writes.find((w) => w[0] === 'putArchive'), ['putArchive', id, '/']);
  const archives = node.container(id)?.archives ?? [];
  assert.equal(archives.length, 1);
  const files = extract((archives[0] as { tar: Buffer }).tar);
  assert.equal(files.get('srv/index.html')?.text, 'v1 page');
  assert.match(files.get('srv/index.html')?.listing ?? '', /^-r--r--r-- 0\/0 /);
  assert.equal(files.get('run/secrets/db_password')?.text, SECRET);
  assert.match(files.get('run/secrets/db_password')?.listing ?? '', /^-r-------- 1000\/0 /);
  const labels = node.container(id)?.labels ?? {};
  assert.ok(!JSON.stringify(labels).includes(SECRET));
  assert.ok(!JSON.stringify(node.container(id)?.body).includes(SECRET), 'not in the create body either');
  for (const file of readdirSync(flow.stateDir, { recursive: true }) as string[]) {
    const path = join(flow.stateDir, file);
    let content = '';
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      continue; // a folder
    }
    assert.ok(!content.includes(SECRET) && !content.includes(Buffer.from(SECRET).toString('base64')), `${file} holds no secret`);
  }
});

test('a commit that changes only a file rolls the service, and the plan names the file, not its content', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose, 'stacks/shop/site/index.html': 'v1 page', 'stacks/shop/db_password.txt': SECRET });
  assert.equal(await flow.run(), 'success');
  assert.equal(await flow.run(), 'unchanged', 'nothing to do while the files are the same');
  const before = nodeWith(flow, 'shop-web-1').container('shop-web-1');

  const revision = flow.source.commit({ 'stacks/shop/db_password.txt': `${SECRET}-rotated` });
  const loaded = await (await import('../../../src/manifests/load.js')).loadDesiredState(await flow.source.reader(revision));
  assert.ok(loaded.state);
  const observed = { nodes: await Promise.all([...flow.nodes.values()].map(async (n) => ({ name: n.name, up: true, containers: await n.listContainers() }))) };
  const planned = plan(loaded.state, observed, { selfHeal: true, prune: true, commit: revision, mode: 'sync' });
  const replace = planned.actions.find((a) => a.type === 'replace');
  assert.ok(replace, JSON.stringify(planned.actions.map((a) => a.type)));
  assert.match(replace.reason, /^secret db_password changed; spec changed/);
  assert.ok(!JSON.stringify(planned).includes(SECRET), 'the plan carries no secret bytes');

  assert.equal(await flow.run(), 'success');
  const after = nodeWith(flow, 'shop-web-1').container('shop-web-1');
  assert.notEqual(after?.id, before?.id, 'the replica was replaced');
  assert.notEqual(after?.labels[LABEL.files], before?.labels[LABEL.files]);
  const files = extract((after?.archives[0] as { tar: Buffer }).tar);
  assert.equal(files.get('run/secrets/db_password')?.text, `${SECRET}-rotated`);
});
