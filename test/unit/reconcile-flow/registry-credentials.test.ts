// Private registry credentials through whole reconciles (recording nodes, instant clock):
// every pull of the registry's images sends its X-Registry-Auth, a refused pull fails the
// rollout with the registry, image and reason and is reverted, the pulls are counted by
// registry and result, and the password shows up on no output surface: logs, status,
// history, metrics, notifications, the pull-request comment, container labels and bodies,
// and every file of the state directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { RegistryAuthResolver } from '../../../src/docker/registry/auth-resolver.js';
import { planningEngine } from '../../../src/engine/planning-engine.js';
import { createLogger, SecretRedactor } from '../../../src/log.js';
import { DesiredStateCache } from '../../../src/reconcile/rollout/desired-cache.js';
import { planReview } from '../../../src/review/plan-review.js';
import { reviewComment } from '../../../src/review/render-review.js';
import { authConfigHeader } from '../../../src/docker/registry/credential.js';
import { clusterYaml, startFlow } from './flow-harness.js';

const PASSWORD = 'Sup3r-Secret-Registry-Pass';
const USER = 'deploy-bot';
const REGISTRY = 'reg.example.com:5000';
const COMPOSE = 'stacks/shop/compose.yaml';

function compose(tag: string): string {
  return `services:
  web:
    image: ${REGISTRY}/shop/web:${tag}
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 1 }
    labels: { team: shop }
    deploy:
      replicas: 3
      update_config: { parallelism: 0, monitor: 1s }
  cache:
    image: cache:1
    deploy: { replicas: 1 }
`;
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test('pulls send the registry credential, a refused pull is reverted with its reason, and the password reaches no output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-registry-'));
  const authFile = join(dir, 'registry.json');
  writeFileSync(authFile, JSON.stringify({ username: USER, password: PASSWORD }));
  const secrets = new SecretRedactor();
  const logs = new Collect();
  const log = createLogger({ level: 'debug', destination: logs, secrets });
  const registryAuth = new RegistryAuthResolver({ baseDir: dir, onSecret: (v) => secrets.add(v) });
  const flow = await startFlow({ nodeOptions: { images: [] }, registryAuth, log });
  // Every container create body (its Env and Labels) as the executor sent it.
  const bodies: unknown[] = [];
  for (const node of flow.nodes.values()) {
    const create = node.createContainer.bind(node);
    node.createContainer = async (name, body) => {
      bodies.push(body);
      return create(name, body);
    };
  }
  const cluster = clusterYaml(`  registries:\n    - { host: ${REGISTRY}, auth: { file: ${authFile} } }\n`);

  const good = flow.source.commit({ 'clusters/prod/cluster.yaml': cluster, [COMPOSE]: compose('1') });
  assert.equal(await flow.run(), 'success');
  const expected = authConfigHeader({ serveraddress: REGISTRY, username: USER, password: PASSWORD });
  for (const node of flow.nodes.values()) {
    const sent = Object.fromEntries(node.pullCredentials.map((p) => [p.image, p.header]));
    assert.equal(sent[`${REGISTRY}/shop/web:1`], expected, `${node.name} pulled the private image with its credential`);
  }
  // cache:1 runs on one node only: Docker Hub, for which nothing is configured, is pulled anonymously.
  const hubPulls = [...flow.nodes.values()].flatMap((n) => n.pullCredentials.filter((p) => p.image === 'cache:1'));
  assert.equal(hubPulls.length, 1);
  assert.equal(hubPulls[0]?.header, undefined);

  for (const node of flow.nodes.values()) node.setBehaviour(`${REGISTRY}/shop/web:2`, { pullFails: 'unauthorized: authentication required' });
  const bad = flow.source.commit({ [COMPOSE]: compose('2') });
  assert.equal(await flow.run(), 'reverted');
  const entry = flow.reconciler.history().at(-1);
  assert.equal(entry?.revision, bad);
  assert.match(entry?.reason ?? '', new RegExp(`could not pull ${REGISTRY}/shop/web:2 from registry ${REGISTRY}: unauthorized`));
  assert.match(entry?.reason ?? '', new RegExp(`refused the credentials from spec.registries auth.file ${authFile}`));
  assert.equal(flow.reconciler.state.applied, good);

  const pulls = (await flow.metrics.imagePullTotal.get()).values.map((v) => `${String(v.labels.registry)} ${String(v.labels.result)} ${v.value}`).sort();
  assert.deepEqual(pulls, ['docker.io success 1', `${REGISTRY} success 3`, `${REGISTRY} unauthorized 3`]);

  // Every surface, read back as text, must not hold the password or the header carrying it.
  const desired = new DesiredStateCache(flow.source, undefined);
  const review = await planReview({ source: flow.source, desired, engine: planningEngine((spec) => flow.nodes.get(spec.name) as never) }, flow.source.commit({ [COMPOSE]: compose('3') }));
  const containers = await Promise.all([...flow.nodes.values()].map((n) => n.listContainers()));
  const surfaces: Record<string, string> = {
    logs: logs.text,
    status: JSON.stringify(flow.reconciler.status()),
    history: JSON.stringify(flow.reconciler.history()),
    metrics: await flow.metrics.registry.metrics(),
    notifications: JSON.stringify(flow.events),
    'pull-request comment': reviewComment(review, 65_000),
    'container labels': JSON.stringify(containers.flat().map((c) => c.labels)),
    'container create bodies': JSON.stringify(bodies),
    ...Object.fromEntries(filesUnder(flow.stateDir).map((f) => [`state dir ${f}`, readFileSync(f, 'utf8')])),
  };
  assert.ok(surfaces.logs?.includes('could not pull'), 'the logs do tell about the refused pull');
  assert.equal(bodies.length, 4, 'the create bodies were captured (3 web, 1 cache)');
  assert.ok(Object.keys(surfaces).some((k) => k.endsWith('state.json')), 'state.json was written');
  const base64Pair = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  for (const [surface, text] of Object.entries(surfaces)) {
    for (const secret of [PASSWORD, expected, base64Pair]) assert.ok(!text.includes(secret), `${surface} must not contain the credential`);
  }
});
