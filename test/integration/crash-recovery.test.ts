// Crash safety of the `flotilla run` daemon on a real three-node fleet (issue 4): SIGKILL in
// the middle of a rollout, while a new replica is in its health wait and the one it replaces
// is renamed aside, then a restart on the same --state-dir. The fleet must converge with
// every slot exactly once (no duplicate, no orphaned `-flotilla-old`, nothing half-renamed)
// and the history must keep the interrupted rollout and then its completion. Done for
// stop-first and for start-first. Then the state file is lost: the last good commit is
// recovered from the container labels, and a bad commit is still reverted to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { startFleet, type Fleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2 } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { startDaemon, type Daemon } from '../support/flotilla.js';
import { dockerOf, listFleet, type SeenContainer } from '../support/fleet-view.js';
import { waitFor } from '../support/wait.js';
import type { HistoryEntry, PersistentState } from '../../src/state.js';

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;
const RETIRED = '-flotilla-old';

interface Web {
  gen: number;
  image?: string;
  order?: 'stop-first' | 'start-first';
  /** update_config.monitor: long enough that the health wait can be caught. */
  monitor?: string;
}

function web(o: Web): Record<string, unknown> {
  const s = webService({ image: o.image ?? WEB_HEALTHY, replicas: 3, parallelism: 1, monitor: o.monitor ?? '1s', order: o.order ?? 'stop-first', environment: { GEN: String(o.gen) } });
  (s.deploy as Record<string, unknown>).rollback_config = { parallelism: 1, monitor: '1s' };
  return s;
}

async function history(daemon: Daemon): Promise<HistoryEntry[]> {
  const res = await fetch(`${daemon.url}/api/v1/history`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(res.status, 200);
  return (await res.json()) as HistoryEntry[];
}

const picture = (cs: readonly SeenContainer[], names: ReadonlyMap<string, string>): string =>
  cs.map((c) => `${c.name}@${c.node}[${names.get(c.labels['flotilla.commit'] ?? '') ?? c.labels['flotilla.commit'] ?? 'unmanaged'} ${c.state}]`).join(' ');

/** Every slot exactly once, running the commit, nothing renamed aside, nothing else on the fleet. */
async function assertConverged(fleet: Fleet, sha: string, image: string, gen: number, names: ReadonlyMap<string, string>): Promise<void> {
  const all = await listFleet(fleet);
  const story = picture(all, names);
  assert.deepEqual(all.map((c) => c.name), ['shop-web-1', 'shop-web-2', 'shop-web-3'], `exactly one container per slot and nothing else: ${story}`);
  for (const c of all) {
    assert.equal(c.state, 'running', `${c.name}: ${story}`);
    assert.equal(c.labels['flotilla.commit'], sha, `${c.name} runs ${names.get(sha)}: ${story}`);
    const info = await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect();
    assert.equal(info.Config.Image, image, c.name);
    assert.ok(info.Config.Env.includes(`GEN=${gen}`), `${c.name} has GEN=${gen}`);
  }
  assert.equal(new Set(all.map((c) => c.node)).size, 3, `one replica per node (spread kept): ${story}`);
}

test('SIGKILL of the daemon mid-rollout, then a restart, converges without duplicates or orphans', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'crash-recovery' });
  const git = await startGitServer();
  let daemon: Daemon | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2]);
    const config = (w: Web): ClusterConfig => ({ name: 'crash', nodes: fleetClusterNodes(fleet), stacks: { shop: { services: { web: web(w) } } } });
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config({ gen: 1 }));
    const names = new Map<string, string>([[first, 'gen1']]);
    const start = async (stateDir?: string): Promise<Daemon> => startDaemon({ repoUrl: repo.url, interval: '2s', ...(stateDir ? { extraArgs: ['--state-dir', stateDir] } : {}) });
    daemon = await start();
    const stateDir = join(daemon.stateDir, 'state');
    t.diagnostic(`daemon log: ${daemon.logFile}; state dir: ${stateDir}`);

    await t.test('the first commit deploys', async () => {
      await (daemon as Daemon).waitForStatus('the first commit to be good', (s) => (s.lastGoodRevision === first ? true : undefined), 60_000);
      await assertConverged(fleet, first, WEB_HEALTHY, 1, names);
    });

    /** Commits `w`, waits until the rollout is in a health wait with a replica renamed aside, and SIGKILLs the daemon. */
    const crashDuring = async (st: TestContext, w: Web, label: string): Promise<{ sha: string; atKill: SeenContainer[] }> => {
      const sha = await repo.commit(config(w), label);
      names.set(sha, label);
      const d = daemon as Daemon;
      const atKill = await waitFor('a replica in its health wait, its predecessor renamed aside', async () => {
        const all = await listFleet(fleet);
        const aside = all.find((c) => c.name.endsWith(RETIRED));
        const fresh = all.find((c) => c.labels['flotilla.commit'] === sha && c.state === 'running' && !c.name.endsWith(RETIRED));
        return aside && fresh ? all : undefined;
      }, { timeoutMs: 40_000, intervalMs: 100 });
      d.child.kill('SIGKILL');
      await new Promise<void>((resolve) => (d.child.exitCode !== null || d.child.signalCode !== null ? resolve() : d.child.once('exit', () => resolve())));
      st.diagnostic(`killed during: ${picture(atKill, names)}`);
      const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as PersistentState;
      assert.equal(state.history.at(-1)?.revision, sha, 'the state file records the rollout that was running');
      assert.equal(state.history.at(-1)?.outcome, 'pending');
      // Still as the crash left it: the replica aside and its successor side by side.
      const after = await listFleet(fleet);
      assert.ok(after.some((c) => c.name.endsWith(RETIRED)), `a replica is still aside after the kill: ${picture(after, names)}`);
      return { sha, atKill };
    };

    const restartAndConverge = async (st: TestContext, sha: string, previous: HistoryEntry[], w: Web, image: string): Promise<void> => {
      const since = performance.now();
      daemon = await start(stateDir);
      const d = daemon;
      await d.waitForStatus(`${names.get(sha)} to be good after the restart`, (s) => (s.lastGoodRevision === sha && s.phase === 'idle' ? true : undefined), 90_000);
      st.diagnostic(`restart to converged: ${seconds(since)}`);
      await assertConverged(fleet, sha, image, w.gen, names);
      const h = await history(d);
      assert.deepEqual(h.slice(0, previous.length).map((e) => [e.revision, e.outcome]), previous.map((e) => [e.revision, e.outcome]), 'the earlier history is intact');
      assert.deepEqual(h.slice(previous.length).map((e) => [names.get(e.revision) ?? e.revision, e.outcome]), [[names.get(sha), 'interrupted'], [names.get(sha), 'deployed']]);
      assert.match(h[previous.length]?.reason ?? '', /stopped during the rollout/);
      // And it stays converged: the next polls change nothing.
      const ids = (await listFleet(fleet)).map((c) => c.id);
      const polls = (await d.status()).lastReconcile?.finishedAt;
      await d.waitForStatus('two more polls', (s) => (s.lastReconcile && s.lastReconcile.finishedAt !== polls && s.lastReconcile.result === 'unchanged' ? true : undefined), 15_000);
      assert.deepEqual((await listFleet(fleet)).map((c) => c.id), ids);
    };

    await t.test('SIGKILL during a stop-first health wait (old replica stopped and renamed aside)', async (st) => {
      const previous = await history(daemon as Daemon);
      const w: Web = { gen: 2, image: WEB_V2, order: 'stop-first', monitor: '3s' };
      const { sha, atKill } = await crashDuring(st, w, 'gen2-stop-first');
      const aside = atKill.find((c) => c.name.endsWith(RETIRED));
      assert.equal(aside?.state, 'exited', 'stop-first: the old replica was stopped before its successor started');
      await restartAndConverge(st, sha, previous, w, WEB_V2);
    });

    await t.test('SIGKILL during a start-first health wait (old replica still serving, renamed aside)', async (st) => {
      const previous = await history(daemon as Daemon);
      const w: Web = { gen: 3, image: WEB_HEALTHY, order: 'start-first', monitor: '3s' };
      const { sha, atKill } = await crashDuring(st, w, 'gen3-start-first');
      const aside = atKill.find((c) => c.name.endsWith(RETIRED));
      assert.equal(aside?.state, 'running', 'start-first: the old replica keeps serving during the wait');
      await restartAndConverge(st, sha, previous, w, WEB_HEALTHY);
    });

    await t.test('state.json lost: the last good commit is recovered from container labels, and a bad commit is still reverted to it', async (st) => {
      const d = daemon as Daemon;
      const good = (await d.status()).lastGoodRevision as string;
      assert.equal(names.get(good), 'gen3-start-first');
      assert.equal(await d.stop(), 0, 'the daemon stops cleanly on SIGTERM');
      rmSync(join(stateDir, 'state.json'));
      rmSync(join(stateDir, 'last-good-desired.json'), { force: true });
      // A bad commit arrives while the daemon is down: reverting it needs the last good commit.
      const bad = await repo.commit(config({ gen: 4, image: WEB_UNHEALTHY }), 'gen4-unhealthy');
      names.set(bad, 'gen4-unhealthy');
      const since = performance.now();
      daemon = await start(stateDir);
      const s = await daemon.waitForStatus('the bad commit to be reverted', (x) => (x.quarantined.some((q) => q.revision === bad) && x.phase === 'idle' ? x : undefined), 60_000);
      st.diagnostic(`restart without state to reverted: ${seconds(since)}`);
      assert.equal(s.lastGoodRevision, good, 'recovered from the labels of the running containers');
      assert.equal(s.appliedRevision, good);
      const h = await history(daemon);
      assert.deepEqual(h.map((e) => [names.get(e.revision) ?? e.revision, e.outcome]), [['gen4-unhealthy', 'reverted']], 'a fresh history, with the revert in it');
      await assertConverged(fleet, good, WEB_HEALTHY, 3, names);
      assert.match(readFileSync(daemon.logFile, 'utf8'), /recovered it from container labels/);
    });

    await t.test('SIGKILL during the health wait of a bad commit: after the restart it is still judged by health and reverted', async (st) => {
      const d = daemon as Daemon;
      const good = (await d.status()).lastGoodRevision as string;
      const previous = await history(d);
      // Every replica in one batch, and a healthcheck that needs ~6 s to call the image
      // unhealthy: when the restarted daemon first looks, the new replicas still say "starting".
      const w: Web = { gen: 5, image: WEB_UNHEALTHY, order: 'stop-first', monitor: '1s' };
      const slow = (x: Web): ClusterConfig => {
        const c = config(x);
        const svc = (c.stacks.shop as { services: { web: Record<string, unknown> } }).services.web;
        svc.healthcheck = { test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1/healthz'], interval: '2s', timeout: '2s', retries: 3 };
        (svc.deploy as Record<string, Record<string, unknown>>).update_config = { parallelism: 0, monitor: '1s', order: 'stop-first' };
        return c;
      };
      const sha = await repo.commit(slow(w), 'gen5-unhealthy-slow');
      names.set(sha, 'gen5-unhealthy-slow');
      const atKill = await waitFor('every replica in its health wait', async () => {
        const all = await listFleet(fleet);
        const fresh = all.filter((c) => c.labels['flotilla.commit'] === sha && c.state === 'running' && !c.name.endsWith(RETIRED));
        return fresh.length === 3 ? all : undefined;
      }, { timeoutMs: 40_000, intervalMs: 100 });
      d.child.kill('SIGKILL');
      await new Promise<void>((resolve) => (d.child.exitCode !== null || d.child.signalCode !== null ? resolve() : d.child.once('exit', () => resolve())));
      st.diagnostic(`killed during: ${picture(atKill, names)}`);
      const since = performance.now();
      daemon = await start(stateDir);
      const s = await daemon.waitForStatus('the bad commit to be judged', (x) => (x.phase === 'idle' && (x.quarantined.some((q) => q.revision === sha) || x.lastGoodRevision === sha) ? x : undefined), 60_000);
      st.diagnostic(`restart to verdict: ${seconds(since)}; lastGood ${names.get(s.lastGoodRevision ?? '')}; history ${JSON.stringify((await history(daemon)).slice(previous.length).map((e) => [names.get(e.revision), e.outcome, e.reason ?? '']))}`);
      assert.notEqual(s.lastGoodRevision, sha, 'a commit whose replicas were never seen healthy for monitor must not become the last good commit');
      assert.equal(s.lastGoodRevision, good);
      assert.ok(s.quarantined.some((q) => q.revision === sha), 'the bad commit is quarantined');
      const h = await history(daemon);
      assert.deepEqual(h.slice(previous.length).map((e) => [names.get(e.revision), e.outcome]), [['gen5-unhealthy-slow', 'interrupted'], ['gen5-unhealthy-slow', 'reverted']]);
      await assertConverged(fleet, good, WEB_HEALTHY, 3, names);
    });
  } finally {
    await daemon?.stop();
    await git.close();
    await fleet.stop();
  }
});
