// Private registries against a real registry (issue 11, parts 1 and 4): Debian's
// docker-registry with htpasswd auth and TLS from a self-signed certificate, serving from
// node-a's network namespace on node-a's address, so that all three nodes pull across the
// network. The daemon is the real `flotilla run` (a child process polling every second) with
// `spec.registries` naming a Docker config.json on the controller's machine.
//   - a stack of the registry's image deploys on all three nodes, each pulling it with the credential;
//   - a wrong password and a missing tag each fail within seconds, with a message naming
//     registry, image and reason, and are reverted;
//   - the registry killed in the middle of a rolling update leaves the fleet as it was;
//   - the password is in none of: the daemon's log, its state directory (state.json, the
//     good snapshot), the containers' labels and environment, /api/v1/status, history, /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFleet, type Fleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY, WEB_V2 } from '../support/images.js';
import { requireRegistry } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, clusterPath, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { metricValue, startDaemon, type Daemon } from '../support/flotilla.js';
import { dockerOf, listFleet, serviceContainers } from '../support/fleet-view.js';
import { registryAuthHeader, startRegistry, type TestRegistry } from '../support/registry.js';
import { authConfigHeader } from '../../src/docker/registry/credential.js';
import { runSync } from '../support/exec.js';
import { waitFor } from '../support/wait.js';
import type { HistoryEntry } from '../../src/state.js';

const USER = 'deployer';
const PASSWORD = 'Registry-Pass-7f3a9c1e';
const WRONG = 'not-the-password-0000';
const CLUSTER = 'registry';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Milliseconds from the daemon's "applying" line for `sha` to its revert decision for it, read from its JSON log. */
function decisionMs(logFile: string, sha: string): number {
  const lines = readFileSync(logFile, 'utf8').split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as { time: number; msg: string; commit?: string }];
    } catch {
      return [];
    }
  });
  const start = lines.find((l) => l.commit === sha && l.msg.startsWith('applying'));
  const decided = lines.find((l) => l.commit === sha && l.msg.startsWith('rollout failed; quarantined it and reverting'));
  if (!start || !decided) throw new Error(`no applying/revert lines for ${sha} in the daemon log`);
  return decided.time - start.time;
}

test('private registry: pulls with credentials on three nodes, fast failures reverted, no credential anywhere', async (t) => {
  if (!requireRegistry(t)) return;
  const forwarding = runSync('sysctl', ['-n', 'net.ipv4.ip_forward']).stdout.trim();
  runSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  let fleet: Fleet | undefined;
  let registry: TestRegistry | undefined;
  let daemon: Daemon | undefined;
  const git = await startGitServer();
  const secrets = mkdtempSync('/tmp/flotilla-registry-auth-');
  try {
    fleet = await startFleet({ nodes: 3, name: 'private-registry' });
    const f = fleet;
    const nodeA = f.node('node-a');
    // Only node-a has the images, to push them; every node then pulls from the registry.
    await loadImages({ nodes: [nodeA] }, [WEB_HEALTHY, WEB_V2]);
    registry = await startRegistry(f, { node: 'node-a', users: { [USER]: PASSWORD } });
    const reg = registry;
    await reg.push(nodeA, WEB_HEALTHY, 'flotilla/web', 'v1', USER);
    await reg.push(nodeA, WEB_V2, 'flotilla/web', 'v2', USER);
    const image = (tag: string): string => reg.ref('flotilla/web', tag);

    // A Docker config.json as `docker login` writes it, and a plain file with a wrong password.
    const dockerConfig = join(secrets, 'config.json');
    writeFileSync(dockerConfig, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } }), { mode: 0o600 });
    const wrongFile = join(secrets, 'wrong.json');
    writeFileSync(wrongFile, JSON.stringify({ username: USER, password: WRONG }), { mode: 0o600 });

    const config = (tag: string, gen: number, authFile = dockerConfig, parallelism = 0): ClusterConfig => ({
      name: CLUSTER,
      nodes: fleetClusterNodes(f),
      registries: [{ host: reg.host, auth: { file: authFile } }],
      stacks: { shop: { services: { web: webService({ image: image(tag), replicas: 3, monitor: '1s', parallelism, environment: { GEN: String(gen) } }) } } },
    });
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config('v1', 1));
    const started = performance.now();
    daemon = await startDaemon({ repoUrl: repo.url, clusterPath: clusterPath(CLUSTER), interval: '1s' });
    const d = daemon;
    const history = async (): Promise<HistoryEntry[]> => (await (await fetch(`${d.url}/api/v1/history`)).json()) as HistoryEntry[];

    /** Every web replica runs the registry's v1 under `sha`, one per node, healthy, nothing renamed aside. */
    const assertFleetOnV1 = async (sha: string, gen: number): Promise<void> => {
      const all = await listFleet(f);
      assert.deepEqual(all.filter((c) => c.name.includes('flotilla-old')).map((c) => c.name), [], 'nothing left renamed aside');
      const web = await serviceContainers(f, 'shop', 'web');
      assert.deepEqual(web.map((c) => c.node).sort(), ['node-a', 'node-b', 'node-c'], 'one replica on each node');
      for (const c of web) {
        const info = await dockerOf(f.node(c.node)).getContainer(c.id).inspect();
        assert.equal(info.Config.Image, image('v1'), `${c.name} on ${c.node} runs v1`);
        assert.equal(c.labels['flotilla.commit'], sha, `${c.name} carries ${sha}`);
        assert.ok(info.Config.Env.includes(`GEN=${gen}`), `${c.name} runs generation ${gen}`);
        assert.equal(c.state, 'running');
      }
      await waitFor('every web replica healthy', async () => {
        const views = await Promise.all(web.map((c) => dockerOf(f.node(c.node)).getContainer(c.id).inspect()));
        return views.every((v) => v.State.Health?.Status === 'healthy') ? true : undefined;
      }, { timeoutMs: 15_000, intervalMs: 200 });
    };

    /** Commits a failing change and waits for its revert; resolves with the history entry. */
    const expectReverted = async (change: ClusterConfig, label: string, good: string): Promise<{ sha: string; entry: HistoryEntry }> => {
      const sha = await repo.commit(change, label);
      await d.waitForStatus(`${label} reverted`, (s) => (s.quarantined.some((q) => q.revision === sha) && s.appliedRevision === good && s.phase !== 'reconciling' ? true : undefined), 60_000);
      const entry = (await history()).filter((h) => h.revision === sha).at(-1);
      assert.equal(entry?.outcome, 'reverted', `${label}: ${JSON.stringify(entry)}`);
      return { sha, entry: entry as HistoryEntry };
    };

    await t.test('a stack of the registry\'s image deploys on all three nodes, each pulling it with the credential', async (st) => {
      await d.waitForStatus('the first commit applied and good', (s) => (s.lastGoodRevision === first ? true : undefined), 90_000);
      const status = await d.status();
      const pulls = readFileSync(d.logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"pulled ')).map((l) => JSON.parse(l) as { node: string; durationMs: number; authenticated: boolean; time: number });
      assert.deepEqual(pulls.map((p) => `${p.node} ${p.authenticated}`).sort(), ['node-a true', 'node-b true', 'node-c true'], 'one authenticated pull per node');
      const span = Math.max(...pulls.map((p) => p.time)) - Math.min(...pulls.map((p) => p.time - p.durationMs));
      st.diagnostic(`authenticated pulls of the 1 MB image: ${pulls.map((p) => `${p.node} ${p.durationMs} ms`).join(', ')}; all three done within ${span} ms`);
      st.diagnostic(`first deploy (3 authenticated pulls of a 1 MB image, one per node, in parallel, then create and health gate): reconcile ${status.lastReconcile?.durationMs} ms; daemon start to good ${((performance.now() - started) / 1000).toFixed(2)} s`);
      await assertFleetOnV1(first, 1);
      for (const node of f.nodes) {
        const images = await dockerOf(node).listImages();
        assert.ok(images.some((i) => (i.RepoTags ?? []).includes(image('v1'))), `${node.name} pulled ${image('v1')} from the registry`);
      }
      const web = await serviceContainers(f, 'shop', 'web');
      assert.equal(web.length, 3);
      const metrics = await d.metrics();
      assert.equal(metricValue(metrics, 'flotilla_image_pull_total', { registry: reg.host, result: 'success' }), 3);
    });

    await t.test('a wrong password fails fast, names registry, image and reason, and is reverted', async (st) => {
      const { sha, entry } = await expectReverted(config('v2', 2, wrongFile), 'wrong password', first);
      const took = decisionMs(d.logFile, sha);
      st.diagnostic(`wrong password: reconcile start to revert decision ${took} ms; reason: ${entry.reason?.slice(0, 300)}`);
      assert.ok(took < 5_000, `decided within 5 s (took ${took} ms)`);
      assert.match(entry.reason ?? '', new RegExp(`could not pull ${image('v2').replace(/[.]/g, '\\.')} from registry ${reg.host.replace(/[.]/g, '\\.')}: unauthorized`));
      assert.match(entry.reason ?? '', new RegExp(`refused the credentials from spec\\.registries auth\\.file ${wrongFile}`));
      await assertFleetOnV1(first, 1);
    });

    await t.test('a missing tag fails fast with "manifest unknown" and is reverted', async (st) => {
      const { sha, entry } = await expectReverted(config('nope', 3), 'missing tag', first);
      const took = decisionMs(d.logFile, sha);
      st.diagnostic(`missing tag: reconcile start to revert decision ${took} ms`);
      assert.ok(took < 5_000, `decided within 5 s (took ${took} ms)`);
      assert.match(entry.reason ?? '', new RegExp(`could not pull ${image('nope').replace(/[.]/g, '\\.')} from registry ${reg.host.replace(/[.]/g, '\\.')}: manifest unknown`));
      await assertFleetOnV1(first, 1);
    });

    await t.test('the registry killed during a rolling update leaves the running fleet as it was', async (st) => {
      // One replica at a time: the first node pulls v2 and starts it; the registry dies before the next node pulls.
      const sha = await repo.commit(config('v2', 4, dockerConfig, 1), 'v2 while the registry dies');
      const firstOnV2 = await waitFor('a replica on v2', async () => {
        for (const c of await serviceContainers(f, 'shop', 'web')) {
          const info = await dockerOf(f.node(c.node)).getContainer(c.id).inspect();
          if (info.Config.Image === image('v2')) return c.node;
        }
        return undefined;
      }, { timeoutMs: 30_000, intervalMs: 50 });
      await reg.kill();
      st.diagnostic(`registry killed once ${firstOnV2} ran v2`);
      await d.waitForStatus('the update reverted', (s) => (s.quarantined.some((q) => q.revision === sha) && s.appliedRevision === first && s.phase !== 'reconciling' ? true : undefined), 60_000);
      const entry = (await history()).filter((h) => h.revision === sha).at(-1);
      assert.equal(entry?.outcome, 'reverted');
      assert.match(entry?.reason ?? '', /unreachable|connection refused/);
      st.diagnostic(`reason: ${entry?.reason?.slice(0, 300)}`);
      await assertFleetOnV1(first, 1);
      // The fleet answers as v1 still (the body of the image behind the registry's v1).
      const body = await (await fetch(`${d.url}/api/v1/status`)).json() as { services: Array<{ inSync: boolean }> };
      assert.ok(body.services.every((s) => s.inSync), 'every service in sync with the last good commit');
    });

    await t.test('the credential is on no output: log, state directory, container labels and env, status, history, metrics', async () => {
      const metrics = await d.metrics();
      assert.ok((metricValue(metrics, 'flotilla_image_pull_total', { registry: reg.host, result: 'unauthorized' }) ?? 0) >= 1);
      assert.ok((metricValue(metrics, 'flotilla_image_pull_total', { registry: reg.host, result: 'manifest_unknown' }) ?? 0) >= 1);
      assert.ok((metricValue(metrics, 'flotilla_image_pull_total', { registry: reg.host, result: 'unreachable' }) ?? 0) >= 1);
      const containers = await Promise.all(f.nodes.map(async (n) => Promise.all((await dockerOf(n).listContainers({ all: true })).map((c) => dockerOf(n).getContainer(c.Id).inspect()))));
      const surfaces: Record<string, string> = {
        'daemon log': readFileSync(d.logFile, 'utf8'),
        status: JSON.stringify(await d.status()),
        history: JSON.stringify(await history()),
        metrics,
        'container labels and env': JSON.stringify(containers.flat().map((c) => ({ labels: c.Config.Labels, env: c.Config.Env }))),
      };
      const stateFiles = filesUnder(join(d.stateDir, 'state'));
      assert.ok(stateFiles.some((p) => p.endsWith('state.json')), `state.json among ${stateFiles.join(', ')}`);
      for (const file of stateFiles) surfaces[file] = readFileSync(file, 'utf8');
      assert.match(surfaces['daemon log'] ?? '', /could not pull/);
      // The password, the config.json `auth` form, and the X-Registry-Auth headers (the harness's key order and Flotilla's).
      const forms = [PASSWORD, WRONG, Buffer.from(`${USER}:${PASSWORD}`).toString('base64'), registryAuthHeader(USER, PASSWORD, reg.host), authConfigHeader({ serveraddress: reg.host, username: USER, password: PASSWORD })];
      for (const [surface, text] of Object.entries(surfaces)) {
        for (const secret of forms) assert.ok(!text.includes(secret), `${surface} must not contain a credential`);
      }
    });
  } finally {
    await daemon?.dispose();
    await registry?.stop();
    await git.close();
    await fleet?.stop();
    rmSync(secrets, { recursive: true, force: true });
    runSync('sysctl', ['-q', '-w', `net.ipv4.ip_forward=${forwarding}`]);
  }
});
