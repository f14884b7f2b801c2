// End to end with a real Prometheus: the `flotilla run` daemon manages a real two-node fleet
// with selfHeal off; a container stopped by hand shows up in Prometheus' own query API as
// drift, the shipped alert rules load and the drift alert goes pending on the real series.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { ConfigRepo, clusterPath, fleetClusterNodes, webStack } from '../support/config-repo.js';
import { startDaemon, type Daemon } from '../support/flotilla.js';
import { dockerCli, serviceContainers } from '../support/fleet-view.js';
import { startFleet } from '../support/fleet.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { waitFor } from '../support/wait.js';
import { requirePrometheus, startPrometheus, type PromSample, type PrometheusServer } from './support-ops/prometheus-server.js';

const summary = (samples: PromSample[]) => samples.map((s) => `${JSON.stringify(s.metric)}=${s.value[1]}`).join(' ');

test('Prometheus scraping the daemon reports a container stopped by hand as drift', async (t) => {
  if (!requireDocker(t)) return;
  const prometheusBinary = requirePrometheus(t);
  if (!prometheusBinary) return;
  const fleet = await startFleet({ nodes: 2, name: 'prometheus' });
  const git = await startGitServer();
  let daemon: Daemon | undefined;
  let prometheus: PrometheusServer | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const { repo } = await ConfigRepo.create(git, 'config', {
      name: 'metrics',
      nodes: fleetClusterNodes(fleet),
      stacks: { shop: webStack({ web: { replicas: 2, maxReplicasPerNode: 1 } }) },
      sync: { selfHeal: false },
    });
    daemon = await startDaemon({ repoUrl: repo.url, clusterPath: clusterPath('metrics'), interval: '2s' });
    const d = daemon;
    await d.waitForStatus('shop/web deployed and in sync', (s) => (s.services.some((svc) => svc.service === 'web' && svc.inSync && svc.replicas.length === 2) ? true : undefined), 60_000);

    const rules = join(packageRoot(), 'deploy', 'prometheus', 'alerts.yml');
    prometheus = await startPrometheus(prometheusBinary, { targets: [new URL(d.url).host], ruleFiles: [rules] });
    const p = prometheus;
    const instance = new URL(d.url).host;

    await t.test('Prometheus scrapes the daemon and loads the shipped rules', async () => {
      await waitFor('the scrape target to be up', async () => ((await p.query('up{job="flotilla"}'))[0]?.value[1] === '1' ? true : undefined), { timeoutMs: 20_000 });
      const groups = await p.api<{ groups: Array<{ rules: Array<{ name: string; health: string }> }> }>('rules');
      const loaded = groups.groups.flatMap((g) => g.rules);
      assert.ok(loaded.length >= 6, `rules loaded: ${loaded.map((r) => r.name).join(', ')}`);
      await waitFor('every rule evaluated without error', async () => (loaded.length > 0 && (await p.api<{ groups: Array<{ rules: Array<{ health: string }> }> }>('rules')).groups.flatMap((g) => g.rules).every((r) => r.health === 'ok') ? true : undefined), { timeoutMs: 15_000 });
      const inSync = await waitFor('service_in_sync for shop/web', async () => (await p.query('flotilla_service_in_sync{stack="shop",service="web"}'))[0]);
      assert.equal(inSync.value[1], '1');
      assert.equal((await p.query('flotilla_out_of_sync_services'))[0]?.value[1], '0');
      assert.deepEqual(await p.query('flotilla_drift_containers'), []);
      const nodes = await p.query('flotilla_node_up');
      assert.deepEqual(nodes.map((s) => `${s.metric.node}=${s.value[1]}`).sort(), ['node-a=1', 'node-b=1']);
    });

    await t.test('after `docker stop` by hand, Prometheus reports the stopped container as drift', async () => {
      const web = await serviceContainers(fleet, 'shop', 'web');
      const victim = web.find((c) => c.state === 'running');
      assert.ok(victim, 'a running web replica');
      await dockerCli(fleet.node(victim.node), ['stop', victim.name]);
      const stopped = await waitFor('flotilla_drift_containers{kind="stopped"} in Prometheus', async () => {
        const r = await p.query('flotilla_drift_containers{kind="stopped"}');
        return r.length > 0 ? r : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      assert.equal(stopped.length, 1, summary(stopped));
      const sample = stopped[0] as PromSample;
      assert.deepEqual({ ...sample.metric }, { __name__: 'flotilla_drift_containers', job: 'flotilla', instance, stack: 'shop', service: 'web', node: victim.node, kind: 'stopped' });
      assert.equal(sample.value[1], '1');
      assert.equal((await p.query('flotilla_out_of_sync_services'))[0]?.value[1], '1');
      assert.equal((await p.query('flotilla_service_in_sync{stack="shop",service="web"}'))[0]?.value[1], '0');
      // Left alone: selfHeal is off.
      assert.equal((await serviceContainers(fleet, 'shop', 'web')).find((c) => c.name === victim.name)?.state, 'exited');
    });

    await t.test('the shipped drift alert goes pending on the real series', async () => {
      const alerts = await waitFor('FlotillaDriftPersists pending', async () => {
        const data = await p.api<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>('alerts');
        const drift = data.alerts.filter((a) => a.labels.alertname === 'FlotillaDriftPersists');
        return drift.length > 0 ? drift : undefined;
      }, { timeoutMs: 15_000 });
      assert.equal(alerts[0]?.state, 'pending');
      assert.equal(alerts[0]?.labels.service, 'web');
      assert.equal(alerts[0]?.labels.severity, 'warning');
    });
  } finally {
    await prometheus?.stop();
    await daemon?.dispose();
    await git.close();
    await fleet.stop();
  }
});
