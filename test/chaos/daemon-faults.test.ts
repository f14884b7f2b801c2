// Chaos on a real two-node fleet, against the `flotilla run` daemon as a child process. Each
// case breaks one real thing and checks, on the nodes themselves, what must hold afterwards:
// - the Git server answering garbage, then answering only after 35 s: the fleet keeps
//   running untouched, the fault is in status and metrics, and the next good answer is
//   applied without a restart;
// - the state dir's disk full (a small tmpfs): the deploy still happens, the failed write is
//   reported, and once there is room the state is written again without a restart;
// - state.json deleted, truncated or garbage at start-up: the daemon starts, recovers the last
//   good commit from the container labels, says so in its log, and rewrites the file;
// - SIGTERM during a rollout's health wait: the daemon exits within 15 s, its port is free,
//   and no half-made container (created-not-started, renamed aside) is left on the nodes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { listFleet, type SeenContainer } from '../support/fleet-view.js';
import { startFleet } from '../support/fleet.js';
import { metricValue, startDaemon, type Daemon } from '../support/flotilla.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY, WEB_V2 } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import type { PersistentState } from '../../src/state.js';

const SIGTERM_BOUND_MS = 15_000;

function config(fleet: Parameters<typeof fleetClusterNodes>[0], gen: number, o: { image?: string; monitor?: string } = {}): ClusterConfig {
  const web = webService({ image: o.image ?? WEB_HEALTHY, replicas: 2, parallelism: 1, monitor: o.monitor ?? '1s', environment: { GEN: String(gen) } });
  return { name: 'chaos', nodes: fleetClusterNodes(fleet), stacks: { shop: { services: { web } } } };
}

async function waitForFleet<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const ids = (cs: readonly SeenContainer[]): string => cs.map((c) => `${c.name}:${c.id.slice(0, 12)}:${c.state}`).sort().join(' ');

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

test('chaos: Git faults, a full disk, a broken state file and SIGTERM mid-rollout leave the fleet whole', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'chaos' });
  const git = await startGitServer();
  const tmpfs = `/tmp/flotilla-chaos-tmpfs-${process.pid}`;
  let daemon: Daemon | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY, WEB_V2]);
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config(fleet, 1));
    // The state dir sits on its own small tmpfs, so that the disk-full case is a real ENOSPC.
    mkdirSync(tmpfs, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', tmpfs]);
    const stateDir = join(tmpfs, 'state');
    const start = () => startDaemon({ repoUrl: repo.url, interval: '1s', extraArgs: ['--state-dir', stateDir, '--node-grace', '3s'] });
    daemon = await start();
    t.diagnostic(`daemon log: ${daemon.logFile}`);
    await daemon.waitForStatus('the first commit to be good', (s) => (s.lastGoodRevision === first ? true : undefined), 60_000);
    let sha = first;
    let gen = 1;

    await t.test('a Git server answering garbage: reported, fleet untouched, recovered without a restart', async () => {
      const d = daemon as Daemon;
      const before = ids(await listFleet(fleet));
      const errors = metricValue(await d.metrics(), 'flotilla_git_fetch_total', { result: 'error' }) ?? 0;
      git.setFault({ kind: 'garbage' });
      const s = await d.waitForStatus('a Git error in status', (st) => (st.lastError && st.lastError.code !== 'VALIDATION_FAILED' ? st : undefined), 20_000);
      t.diagnostic(`garbage: ${s.lastError?.code}: ${s.lastError?.message}`);
      assert.equal(s.lastError?.code, 'GIT_UNREACHABLE', 'garbage from the server is the server\'s fault, not an internal error');
      assert.ok((metricValue(await d.metrics(), 'flotilla_git_fetch_total', { result: 'error' }) ?? 0) > errors);
      assert.equal(ids(await listFleet(fleet)), before, 'the fleet is as it was');
      git.setFault(undefined);
      gen++;
      sha = await repo.commit(config(fleet, gen), `gen ${gen} after garbage`);
      await d.waitForStatus('the next commit good after the fault', (st) => (st.lastGoodRevision === sha && st.lastError === undefined ? true : undefined), 60_000);
    });

    await t.test('a Git server that answers only after 35 s: cut off by the timeout, the API stays responsive, recovered', async () => {
      const d = daemon as Daemon;
      const before = ids(await listFleet(fleet));
      git.setFault({ kind: 'slow', delayMs: 35_000 });
      const started = performance.now();
      // While the fetch hangs, the daemon's own HTTP side must answer at once.
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const res = await fetch(`${d.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        assert.equal(res.status, 200);
        assert.ok(performance.now() - t0 < 1_000);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const s = await d.waitForStatus('the slow fetch reported', (st) => (st.lastError?.code === 'GIT_UNREACHABLE' ? st : undefined), 60_000, 500);
      t.diagnostic(`slow: reported after ${((performance.now() - started) / 1000).toFixed(1)} s: ${s.lastError?.message}`);
      assert.equal(ids(await listFleet(fleet)), before, 'the fleet is as it was');
      git.setFault(undefined);
      gen++;
      sha = await repo.commit(config(fleet, gen), `gen ${gen} after slow`);
      await d.waitForStatus('the next commit good after the slow server', (st) => (st.lastGoodRevision === sha ? true : undefined), 90_000);
    });

    await t.test('the state dir\'s disk full: the deploy still happens, the write failure is reported, and the state is written once there is room', async () => {
      const d = daemon as Daemon;
      const filler = join(tmpfs, 'filler');
      // Fill the tmpfs to the last block; dd ends with ENOSPC, which is the point.
      try { execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'count=64'], { stdio: 'ignore' }); } catch { /* ENOSPC expected */ }
      try {
        gen++;
        sha = await repo.commit(config(fleet, gen, { image: gen % 2 ? WEB_HEALTHY : WEB_V2 }), `gen ${gen} on a full disk`);
        const s = await d.waitForStatus('the full disk reported', (st) => (st.lastError && /ENOSPC|no space|state/i.test(`${st.lastError.code} ${st.lastError.message}`) ? st : undefined), 60_000);
        t.diagnostic(`disk full: ${s.lastError?.code}: ${s.lastError?.message}`);
        assert.equal(s.lastError?.code, 'DISK_FULL');
        const running = (await listFleet(fleet)).filter((c) => c.state === 'running');
        assert.equal(running.length, 2, 'the fleet keeps two replicas running');
      } finally {
        rmSync(filler, { force: true });
      }
      await d.waitForStatus('the state written again once there is room', (st) => (st.lastGoodRevision === sha && st.lastError === undefined ? true : undefined), 60_000);
      const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as PersistentState;
      assert.equal(state.lastGood?.revision, sha);
    });

    for (const [label, damage] of [
      ['deleted', (file: string) => rmSync(file, { force: true })],
      ['truncated', (file: string) => writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40))],
      ['garbage', (file: string) => writeFileSync(file, Buffer.from([0xff, 0x00, 0x7b, 0x22, 0x6c, 0x61]))],
    ] as const) {
      await t.test(`state.json ${label} at start-up: started, last good recovered from labels, said in the log, file rewritten`, async () => {
        await (daemon as Daemon).stop();
        const file = join(stateDir, 'state.json');
        damage(file);
        // The last good desired state kept beside it is lost with it, as after a disk failure.
        rmSync(join(stateDir, 'last-good-desired.json'), { force: true });
        const before = ids(await listFleet(fleet));
        daemon = await start();
        const d = daemon;
        await d.waitForStatus('the last good commit recovered', (st) => (st.lastGoodRevision === sha ? true : undefined), 60_000);
        assert.match(d.logTail(200), /recover/i, 'the log says the state was recovered');
        // The file is written at the end of the reconcile, just after status shows it finished.
        const rewritten = await waitForFleet('state.json written again', async () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PersistentState) : undefined), 30_000);
        assert.equal(rewritten.lastGood?.revision, sha, 'the recovered last good commit is on disk');
        assert.equal(ids(await listFleet(fleet)), before, 'recovering the state replaced no container');
      });
    }

    await t.test('a node\'s dockerd killed mid-rollout, back after its replica was rescheduled: no replica lost, no stale one left', async (st) => {
      const d = daemon as Daemon;
      gen++;
      const rolling = await repo.commit(config(fleet, gen, { image: gen % 2 ? WEB_HEALTHY : WEB_V2, monitor: '3s' }), `gen ${gen}, node-b dies during it`);
      await d.waitForStatus('the rollout under way', (st) => (st.phase !== 'idle' && st.trackedRevision === rolling ? true : undefined), 30_000, 100);
      await fleet.stopNode('node-b');
      // The replica being replaced on node-b fails, so the rollout fails and the cluster goes
      // back to the last good commit (DESIGN: a failed rollout reverts); past the 3 s grace,
      // node-b's replica is placed on node-a.
      const settled = await d.waitForStatus('both replicas on node-a, in sync', (s) => {
        const web = s.services.find((x) => x.service === 'web');
        // Status still lists node-b's last-seen replica until the node is back; what counts is two running on node-a.
        return s.phase === 'idle' && web && web.replicas.filter((r) => r.node === 'node-a' && r.state === 'running').length === 2 ? s : undefined;
      }, 90_000, 250);
      st.diagnostic(`after node-b died: applied ${settled.appliedRevision?.slice(0, 8)}, last good ${settled.lastGoodRevision?.slice(0, 8)}, rolling ${rolling.slice(0, 8)}, quarantined ${settled.quarantined.map((q) => q.revision.slice(0, 8)).join(',')}`);
      const kept = settled.appliedRevision;
      await fleet.startNode('node-b');
      // Back, node-b still holds its old replica: it must go, and nothing else may move.
      await waitForFleet('node-b\'s stale replica removed', async () => {
        const all = await listFleet(fleet);
        return all.filter((c) => c.node === 'node-b').length === 0 && all.filter((c) => c.state === 'running').length === 2 ? all : undefined;
      });
      const all = await listFleet(fleet);
      assert.deepEqual(all.map((c) => c.labels['flotilla.slot']).sort(), ['1', '2'], `every slot exactly once: ${ids(all)}`);
      assert.ok(all.every((c) => c.labels['flotilla.commit'] === kept && !c.name.endsWith('-flotilla-old')), ids(all));
      sha = kept ?? sha;
    });

    await t.test('SIGTERM during a rollout: exits within 15 s, port free, no half-made container left', async () => {
      const d = daemon as Daemon;
      gen++;
      const rolling = await repo.commit(config(fleet, gen, { image: gen % 2 ? WEB_HEALTHY : WEB_V2, monitor: '30s' }), `gen ${gen} with a long monitor`);
      await d.waitForStatus('the rollout under way', (st) => (st.phase !== 'idle' && st.trackedRevision === rolling ? true : undefined), 30_000, 100);
      // Into the health wait of the first batch.
      await new Promise((r) => setTimeout(r, 2_000));
      const port = Number(new URL(d.url).port);
      const started = performance.now();
      d.child.kill('SIGTERM');
      await new Promise<void>((resolve) => (d.child.exitCode !== null || d.child.signalCode !== null ? resolve() : d.child.once('exit', () => resolve())));
      const ms = performance.now() - started;
      t.diagnostic(`SIGTERM to exit: ${(ms / 1000).toFixed(2)} s (exit code ${d.child.exitCode})`);
      assert.ok(ms < SIGTERM_BOUND_MS, `exit took ${(ms / 1000).toFixed(1)} s`);
      assert.equal(d.child.exitCode, 0);
      assert.ok(await portFree(port), 'the API port is free after exit');
      const left = await listFleet(fleet);
      assert.ok(!left.some((c) => c.name.endsWith('-flotilla-old')), `a replica was left renamed aside: ${ids(left)}`);
      assert.ok(!left.some((c) => c.state === 'created'), `a created-but-never-started container was left: ${ids(left)}`);
      assert.equal(left.filter((c) => c.state === 'running').length, 2, `two replicas still run: ${ids(left)}`);
    });
  } finally {
    await daemon?.dispose();
    await git.close();
    await fleet.stop();
    try { execFileSync('umount', ['-l', tmpfs]); } catch { /* not mounted */ }
    rmSync(tmpfs, { recursive: true, force: true });
  }
});
