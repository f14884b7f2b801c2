// test/fixtures/valid/full uses most of the supported Compose subset at once: merge keys,
// every interpolation form, env_file precedence, long and short ports and mounts, a bind
// mount under an allowed prefix, global mode and host networking allowed by policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredState, ServiceSpec } from '../../../src/manifests/model.js';
import { loadFixture } from './support.js';

let loaded: DesiredState | undefined;
async function full(): Promise<DesiredState> {
  if (!loaded) {
    const result = await loadFixture('valid', 'full', 'clusters/prod');
    assert.deepEqual(result.problems, []);
    loaded = result.state;
  }
  return loaded as DesiredState;
}
async function service(stack: string, name: string): Promise<ServiceSpec> {
  const found = (await full()).stacks.find((s) => s.name === stack)?.services.find((s) => s.name === name);
  assert.ok(found, `${stack}/${name}`);
  return found;
}

test('the cluster keeps node TLS files and labels (as strings), partial sync defaults and notification options', async () => {
  const { cluster } = await full();
  assert.deepEqual(cluster.nodes[0]?.tls, { ca: '/etc/flotilla/ca.pem', cert: '/etc/flotilla/cert.pem', key: '/etc/flotilla/key.pem' });
  assert.deepEqual(cluster.nodes[2]?.labels, { zone: 'a', role: 'db', ssd: 'true' });
  assert.deepEqual(cluster.sync, { prune: false, selfHeal: true, revert: true });
  assert.deepEqual(cluster.notifications, [{ name: 'ops', provider: 'slack', events: ['failed', 'reverted'], options: { urlFile: '/etc/flotilla/slack-url' } }]);
});

test('a stack path written ./stacks/... is read from the normalized repo path', async () => {
  const edge = (await full()).stacks.find((s) => s.name === 'edge');
  assert.equal(edge?.file, 'stacks/edge/compose.yaml');
});

test('settings merged with << from an x- anchor apply, and the service may add to them', async () => {
  const web = await service('shop', 'web');
  assert.equal(web.restart, 'always');
  assert.deepEqual(web.labels, { 'com.example.team': 'shop' });
  assert.equal(web.stopGracePeriodMs, 90_000);
  assert.equal(web.image, 'registry.example.com/shop/web:1.4.2');
});

test('short and long ports with an address, IPv6 and udp normalize to one PortSpec each', async () => {
  assert.deepEqual((await service('shop', 'web')).ports, [
    { target: 80, published: 8080, protocol: 'tcp' },
    { target: 443, published: 9443, protocol: 'tcp', hostIp: '127.0.0.1' },
    { target: 9000, published: 9000, protocol: 'tcp', hostIp: '::1' },
    { target: 8081, published: 18081, protocol: 'udp', hostIp: '0.0.0.0' },
  ]);
});

test('bind mounts under an allowed prefix pass and are stored with .. resolved; tmpfs and volumes keep their form', async () => {
  assert.deepEqual((await service('shop', 'web')).mounts, [
    { type: 'bind', source: '/srv/data/shop/static', target: '/usr/share/nginx/html', readOnly: true },
    { type: 'bind', source: '/var/log/shop-web', target: '/var/log/nginx', readOnly: false },
    { type: 'tmpfs', target: '/var/cache/nginx', readOnly: false },
  ]);
  assert.deepEqual((await service('shop', 'db')).mounts, [{ type: 'volume', source: 'pgdata', target: '/var/lib/postgresql/data', readOnly: false }]);
});

test('depends_on in map form, placement with max_replicas_per_node, and a partial rollback_config', async () => {
  const web = await service('shop', 'web');
  assert.deepEqual(web.dependsOn, ['api']);
  assert.equal(web.deploy.placement.maxReplicasPerNode, 1);
  assert.deepEqual(web.deploy.placement.spreadLabels, ['zone']);
  assert.deepEqual(web.deploy.updateConfig, { parallelism: 1, delayMs: 0, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'start-first' });
  assert.deepEqual(web.deploy.rollbackConfig, { parallelism: 0, delayMs: 0, failureAction: 'continue', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' });
  assert.deepEqual(web.healthcheck, { test: ['CMD-SHELL', 'curl -fsS http://127.0.0.1/ || exit 1'], intervalMs: 10_000, timeoutMs: 2000, retries: 5, startPeriodMs: 60_000 });
});

test('environment: env_file first, then `environment` wins; every interpolation form; bare keys come from .env', async () => {
  const api = await service('shop', 'api');
  assert.deepEqual(api.environment, {
    LOG_LEVEL: 'info',
    FEATURE_FLAGS: 'a,b',
    REPLICAS_HINT: '3',
    EMPTY_VALUE: '',
    DEFAULTED: 'fallback',
    ALTERNATE: 'has-tag',
    LITERAL: '$HOME',
    QUOTED: 'literal ${NOT_EXPANDED}',
  });
  assert.equal(api.image, 'registry.example.com/shop/api:1.4.2', '.env values may use earlier .env values');
  assert.deepEqual(api.command, ['serve', '--port', '8080', '--name', 'shop api']);
});

test('replicas: ${VAR} (plain) becomes a number while "${VAR}" (quoted) stays a string', async () => {
  assert.equal((await service('shop', 'api')).deploy.replicas, 3);
  assert.equal((await service('shop', 'db')).environment.QUOTED_NUMBER, '3');
});

test('resources, restart_policy and deploy labels in list form normalize to Docker units', async () => {
  const { deploy } = await service('shop', 'api');
  assert.deepEqual(deploy.limits, { nanoCpus: 1_500_000_000, memoryBytes: 1024 ** 3 });
  assert.deepEqual(deploy.reservations, { nanoCpus: 250_000_000, memoryBytes: 256 * 1024 ** 2 });
  assert.deepEqual(deploy.restartPolicy, { condition: 'on-failure', maxAttempts: 3 });
  assert.deepEqual(deploy.labels, { 'com.example.tier': 'backend' });
  assert.deepEqual(deploy.updateConfig, { parallelism: 2, delayMs: 500, failureAction: 'pause', monitorMs: 30_000, maxFailureRatio: 0.25, order: 'stop-first' });
  assert.deepEqual(deploy.placement.constraints, [{ field: 'label', labelKey: 'zone', operator: '!=', value: 'c', text: 'node.labels.zone != c' }]);
});

test('networks and volumes are named <stack>_<name> unless given a name; the default network is added when used', async () => {
  const shop = (await full()).stacks.find((s) => s.name === 'shop');
  assert.deepEqual(shop?.networks.map((n) => [n.name, n.dockerName, n.internal]), [['backend', 'shop_backend', true], ['default', 'shop_default', false]]);
  assert.deepEqual(shop?.volumes.map((v) => [v.name, v.dockerName]), [['pgdata', 'shop-pgdata'], ['cache', 'shop_cache']]);
  assert.deepEqual((await service('shop', 'db')).networks, ['backend']);
  assert.deepEqual((await service('shop', 'api')).networks, ['default', 'backend']);
});

test('healthcheck.disable becomes test NONE; a numeric-looking user stays a string', async () => {
  const db = await service('shop', 'db');
  assert.deepEqual(db.healthcheck, { test: ['NONE'] });
  assert.equal(db.user, '999');
});

test('a global host-network service joins no stack network and keeps its runtime options', async () => {
  const proxy = await service('edge', 'proxy');
  assert.equal(proxy.networkMode, 'host');
  assert.deepEqual(proxy.networks, []);
  assert.equal(proxy.deploy.mode, 'global');
  assert.deepEqual([proxy.capAdd, proxy.capDrop, proxy.readOnly, proxy.init], [['NET_BIND_SERVICE'], ['ALL'], true, true]);
  assert.deepEqual(proxy.mounts, [{ type: 'tmpfs', target: '/tmp', readOnly: false }, { type: 'tmpfs', target: '/run', readOnly: false }]);
  assert.deepEqual(proxy.extraHosts, ['metadata:169.254.169.254']);
  assert.deepEqual([proxy.entrypoint, proxy.workingDir, proxy.stopSignal], [['/entrypoint.sh'], '/srv', 'SIGTERM']);
  assert.deepEqual((await full()).stacks.find((s) => s.name === 'edge')?.networks, []);
});
