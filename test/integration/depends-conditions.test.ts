// depends_on conditions and `platform` on a real 2-node fleet. With health gates off, the
// only thing that can hold the app back is the condition wait: it is created after db's
// healthcheck passed (db serves only 4 s after it starts) and after the migration job
// exited 0. With the default gates, a job exiting 1 reverts the rollout and names the job
// and its code. A `platform` of another architecture is refused at scheduling, while the
// node's own architecture deploys with the platform passed to Docker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess, type InProcessFlotilla } from '../support/flotilla.js';
import { dockerOf, serviceContainers } from '../support/fleet-view.js';
import type { Fleet } from '../support/fleet.js';

const DB_DELAY_S = 4;

function stackOf(migrateExit: number, appVersion: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    services: {
      db: {
        ...webService({ constraints: ['node.name==node-a'] }),
        command: ['sh', '-c', `sleep ${DB_DELAY_S}; exec /bin/serve`],
        healthcheck: { test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1/healthz'], interval: '1s', timeout: '2s', retries: 2, start_period: '20s' },
      },
      migrate: {
        image: WEB_HEALTHY,
        command: ['sh', '-c', `sleep 1; exit ${migrateExit}`],
        healthcheck: { disable: true },
        depends_on: { db: { condition: 'service_healthy' } },
        deploy: { placement: { constraints: ['node.name==node-b'] } },
      },
      app: {
        ...webService({ constraints: ['node.name==node-b'], environment: { VERSION: appVersion } }),
        depends_on: { db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } },
      },
      ...extra,
    },
  };
}

interface Inspected {
  State: { StartedAt: string; FinishedAt: string; ExitCode: number; Status: string; Health?: { Log: Array<{ End: string; ExitCode: number }> } };
  RestartCount: number;
  HostConfig: { RestartPolicy: { Name: string } };
  Config: { Labels: Record<string, string> };
  Id: string;
}

async function inspectOne(fleet: Fleet, service: string): Promise<Inspected> {
  const [c] = await serviceContainers(fleet, 'shop', service);
  assert.ok(c, `${service} has a container`);
  return (await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect()) as unknown as Inspected;
}

const ms = (iso: string): number => Date.parse(iso);

test('depends_on conditions hold the app until db is healthy and the job exited 0; a failing job reverts; platform is a placement constraint', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'depends' });
  const git = await startGitServer();
  const instances: InProcessFlotilla[] = [];
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const config: ClusterConfig = { name: 'deps', nodes: fleetClusterNodes(fleet), stacks: { shop: stackOf(0, '1') } };
    const { repo } = await ConfigRepo.create(git, 'config', config);

    // Health gates off: nothing but the conditions makes anything wait.
    const ungated = await startInProcess({ repoUrl: repo.url, healthGate: false });
    instances.push(ungated);
    await reconcileExpecting(ungated, 'success');
    const db = await inspectOne(fleet, 'db');
    const migrate = await inspectOne(fleet, 'migrate');
    const app = await inspectOne(fleet, 'app');
    const dbStarted = ms(db.State.StartedAt);
    const appStarted = ms(app.State.StartedAt);
    const firstHealthy = db.State.Health?.Log.find((l) => l.ExitCode === 0);
    assert.equal(db.State.Health?.Log.some((l) => l.ExitCode !== 0 && ms(l.End) < appStarted), true, 'db failed probes while it slept');
    assert.ok(firstHealthy && ms(firstHealthy.End) <= ms(migrate.State.StartedAt), `migrate started ${migrate.State.StartedAt}, after db's first passing probe ${firstHealthy?.End}`);
    assert.ok(appStarted - dbStarted >= DB_DELAY_S * 1000, `app started ${appStarted - dbStarted} ms after db, which serves only after ${DB_DELAY_S} s`);
    assert.ok(ms(migrate.State.FinishedAt) <= appStarted, `app started ${app.State.StartedAt}, after the job finished ${migrate.State.FinishedAt}`);
    assert.equal(migrate.State.Status, 'exited');
    assert.equal(migrate.State.ExitCode, 0);
    assert.equal(migrate.HostConfig.RestartPolicy.Name, 'no');
    // A finished job is in sync: the next reconcile leaves it alone.
    await reconcileExpecting(ungated, 'unchanged');
    assert.equal((await inspectOne(fleet, 'migrate')).Id, migrate.Id);
    assert.equal(ungated.status().services.find((s) => s.service === 'migrate')?.inSync, true);
    ungated.close();

    // Default gates: the job's own rollout waits for its exit, and exit 1 fails it.
    const gated = await startInProcess({ repoUrl: repo.url });
    instances.push(gated);
    const first = await gated.reconcile();
    assert.ok(first === 'success' || first === 'unchanged', `the deployed commit is recognised (${first})`);
    await repo.update((c) => (c.stacks.shop = stackOf(1, '2')), 'a migration that fails');
    await reconcileExpecting(gated, 'reverted');
    assert.match(gated.status().lastError?.message ?? '', /shop\/migrate .*job shop-migrate-1 on node-b exited with code 1/);
    const appAfter = await inspectOne(fleet, 'app');
    assert.equal(appAfter.Id, app.Id, 'the app was never replaced by VERSION 2');
    const jobAfter = await inspectOne(fleet, 'migrate');
    assert.equal(jobAfter.State.ExitCode, 0, 'the revert ran the good job again');

    // platform: amd64 nodes here (docker info says x86_64); arm64 cannot be placed.
    const native = { ...webService({ replicas: 2 }), platform: 'linux/x86_64' };
    const foreign = { ...webService({ replicas: 1 }), platform: 'linux/arm64' };
    await repo.update((c) => (c.stacks.shop = stackOf(0, '1', { native, foreign })), 'platforms');
    await gated.reconcile();
    const foreignStatus = gated.status().services.find((s) => s.service === 'foreign');
    assert.equal(foreignStatus?.unplaceable.length, 1);
    assert.match(foreignStatus?.unplaceable[0]?.reason ?? '', /^shop\/foreign replica 1 of 1 cannot be placed: node-a, node-b are linux\/amd64 \(docker info\), and shop\/foreign asks for platform linux\/arm64\. To fix: change `platform`/);
    assert.deepEqual(await serviceContainers(fleet, 'shop', 'foreign'), []);
    const natives = await serviceContainers(fleet, 'shop', 'native');
    assert.deepEqual(natives.map((c) => `${c.state} ${c.labels['flotilla.platform']}`), ['running linux/amd64', 'running linux/amd64']);
  } finally {
    for (const i of instances) i.close();
    await git.close();
    await fleet.stop();
  }
});
