// Endpoints for load balancers and Prometheus on a real two-node fleet: GET /api/v1/endpoints
// lists each published port's healthy replicas as the node's address and the host port Docker
// picked, and a real Prometheus, told only the daemon's /api/v1/sd/prometheus, finds and
// scrapes every replica of the service that opts in with x-flotilla.metrics-port. A replica
// stopped by hand leaves both lists until it is healthy again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { dockerCli, serviceContainers } from '../support/fleet-view.js';
import { startFleet } from '../support/fleet.js';
import { startDaemon, type Daemon } from '../support/flotilla.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { httpGet, waitFor } from '../support/wait.js';
import { requirePrometheus, startPrometheus, type PrometheusServer } from './support-ops/prometheus-server.js';

interface EndpointsAnswer {
  services: Array<{ stack: string; service: string; ports: Array<{ containerPort: number; protocol: string; endpoints: Array<{ node: string; address: string; port: number; slot: string }> }> }>;
}

test('endpoints and Prometheus HTTP SD list the healthy replicas, and a real Prometheus scrapes them', async (t) => {
  if (!requireDocker(t)) return;
  const prometheusBinary = requirePrometheus(t);
  if (!prometheusBinary) return;
  const fleet = await startFleet({ nodes: 2, name: 'endpoints' });
  const git = await startGitServer();
  let daemon: Daemon | undefined;
  let prometheus: PrometheusServer | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    // A metrics page delivered as a config from Git, so the stand-in image has something to scrape.
    const exporter = { ...webService({ replicas: 2, maxReplicasPerNode: 1, monitor: '1s' }), ports: ['80'], configs: [{ source: 'metrics', target: '/www/metrics' }], 'x-flotilla': { 'metrics-port': 80 } };
    const api = { ...webService({ replicas: 1, monitor: '1s' }), ports: ['18080:80'] };
    const config: ClusterConfig = {
      name: 'endpoints',
      nodes: fleetClusterNodes(fleet).map((n) => ({ ...n, address: fleet.node(n.name).address })),
      stacks: { shop: { services: { exporter, api }, configs: { metrics: { content: '# TYPE stand_in_up gauge\nstand_in_up 1\n' } } } },
    };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    daemon = await startDaemon({ repoUrl: repo.url, interval: '1s' });
    const d = daemon;
    t.diagnostic(`daemon log: ${d.logFile}`);
    await d.waitForStatus('both services in sync', (s) => (s.services.length === 2 && s.services.every((x) => x.inSync) ? true : undefined), 90_000);

    const endpoints = async (): Promise<EndpointsAnswer> => JSON.parse((await httpGet(`${d.url}/api/v1/endpoints`)).body) as EndpointsAnswer;

    await t.test('GET /api/v1/endpoints: each healthy replica at its node address and the host port it really has', async () => {
      const answer = await endpoints();
      const byService = new Map(answer.services.map((s) => [s.service, s]));
      const exp = byService.get('exporter')?.ports[0];
      assert.equal(exp?.containerPort, 80);
      assert.equal(exp?.endpoints.length, 2, `${JSON.stringify(exp)}; status replicas: ${JSON.stringify((await d.status()).services.map((x) => x.replicas))}`);
      const containers = await serviceContainers(fleet, 'shop', 'exporter');
      for (const e of exp?.endpoints ?? []) {
        assert.equal(e.address, fleet.node(e.node).address);
        const seen = containers.find((c) => c.node === e.node);
        assert.equal(e.port, seen?.ports['80/tcp'], 'the host port Docker picked, read from the node');
        // What a load balancer would do with it: the replica answers there.
        assert.match((await httpGet(`http://${e.address}:${e.port}/metrics`)).body, /stand_in_up 1/);
      }
      assert.deepEqual(byService.get('api')?.ports[0]?.endpoints.map((e) => e.port), [18080]);
    });

    const sdUrl = `${d.url}/api/v1/sd/prometheus`;
    prometheus = await startPrometheus(prometheusBinary, { targets: [new URL(d.url).host], httpSd: { url: sdUrl } });
    const p = prometheus;

    await t.test('GET /api/v1/sd/prometheus: only the opted-in service, one target group per replica, labelled', async () => {
      const groups = JSON.parse((await httpGet(sdUrl)).body) as Array<{ targets: string[]; labels: Record<string, string> }>;
      assert.equal(groups.length, 2);
      assert.ok(groups.every((g) => g.labels.service === 'exporter' && g.labels.stack === 'shop' && g.targets.length === 1));
      assert.deepEqual(groups.map((g) => g.labels.node).sort(), ['node-a', 'node-b']);
    });

    await t.test('a real Prometheus discovers both replicas through the route and scrapes them', async () => {
      const up = await waitFor('both SD targets scraped', async () => {
        const r = await p.query('stand_in_up{job="flotilla-sd"}');
        return r.length === 2 ? r : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      assert.deepEqual(up.map((s) => s.metric.node).sort(), ['node-a', 'node-b']);
      assert.ok(up.every((s) => s.metric.stack === 'shop' && s.metric.service === 'exporter' && s.value[1] === '1'));
    });

    await t.test('a replica stopped by hand leaves the endpoints until it is healthy again', async () => {
      const [victim] = await serviceContainers(fleet, 'shop', 'exporter');
      assert.ok(victim);
      await dockerCli(fleet.node(victim.node), ['stop', victim.name]);
      // The daemon notices at its next observation; the stopped replica must not be listed then.
      const seenWithout = await waitFor('the stopped replica gone from the endpoints', async () => {
        const exp = (await endpoints()).services.find((s) => s.service === 'exporter')?.ports[0];
        return exp && exp.endpoints.length === 1 && exp.endpoints[0]?.node !== victim.node ? exp : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200 });
      assert.equal(seenWithout.endpoints.length, 1);
      // Self-heal brings it back, and with it the endpoint.
      await waitFor('both replicas listed again', async () => ((await endpoints()).services.find((s) => s.service === 'exporter')?.ports[0]?.endpoints.length === 2 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    });
  } finally {
    await prometheus?.stop();
    await daemon?.dispose();
    await git.close();
    await fleet.stop();
  }
});
