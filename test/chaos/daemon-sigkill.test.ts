// Chaos: the daemon SIGKILLed in the middle of a rolling update, on a real two-node fleet,
// and started again on the same state dir. Killed twice: once after the first batch (one
// replica already replaced, the next not begun) and once inside a replace, after the old
// replica was stopped and renamed aside and before its successor runs. What must hold
// afterwards, read from the nodes themselves: the rollout finishes (or reverts), every
// slot exists exactly once, no container is left renamed aside or created-not-started, and
// the last good commit and the quarantine list written before the kill survive it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { listFleet, type SeenContainer } from '../support/fleet-view.js';
import { startFleet, type Fleet } from '../support/fleet.js';
import { startDaemon, type Daemon } from '../support/flotilla.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2 } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';

const REPLICAS = 3;

function config(fleet: Fleet, gen: number, image: string): ClusterConfig {
  const web = webService({ image, replicas: REPLICAS, parallelism: 1, monitor: '2s', environment: { GEN: String(gen) } });
  return { name: 'sigkill', nodes: fleetClusterNodes(fleet), stacks: { shop: { services: { web } } } };
}

const ids = (cs: readonly SeenContainer[]): string => cs.map((c) => `${c.name}@${c.node}:${c.state}:${c.labels['flotilla.commit']?.slice(0, 8)}`).sort().join(' ');

/** Polls the nodes every 20 ms until `seen` holds, so the kill lands inside a short window. */
async function whenFleet(fleet: Fleet, what: string, seen: (cs: SeenContainer[]) => boolean, timeoutMs = 60_000): Promise<SeenContainer[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cs = await listFleet(fleet);
    if (seen(cs)) return cs;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${ids(cs)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function kill(daemon: Daemon): Promise<void> {
  daemon.child.kill('SIGKILL');
  await new Promise<void>((resolve) => (daemon.child.exitCode !== null || daemon.child.signalCode !== null ? resolve() : daemon.child.once('exit', () => resolve())));
}

/** The invariants of a converged fleet after a crash: each slot once, all running, nothing aside. */
function assertWhole(cs: readonly SeenContainer[], commit: string): void {
  const managed = cs.filter((c) => c.labels['flotilla.managed'] === 'true');
  assert.deepEqual(managed.map((c) => c.labels['flotilla.slot']).sort(), Array.from({ length: REPLICAS }, (_, i) => String(i + 1)), `every slot exactly once: ${ids(cs)}`);
  assert.ok(managed.every((c) => c.state === 'running'), `all running: ${ids(cs)}`);
  assert.ok(!cs.some((c) => c.name.endsWith('-flotilla-old')), `none left renamed aside: ${ids(cs)}`);
  assert.ok(managed.every((c) => c.labels['flotilla.commit'] === commit), `all on ${commit.slice(0, 8)}: ${ids(cs)}`);
}

test('chaos: the daemon SIGKILLed mid-rollout finishes it on restart, with no slot lost or doubled and its state kept', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'sigkill' });
  const git = await startGitServer();
  const stateDir = mkdtempSync(join(tmpdir(), 'flotilla-sigkill-state-'));
  let daemon: Daemon | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2]);
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config(fleet, 1, WEB_HEALTHY));
    const start = (): Promise<Daemon> => startDaemon({ repoUrl: repo.url, interval: '1s', extraArgs: ['--state-dir', stateDir] });
    daemon = await start();
    t.diagnostic(`daemon log: ${daemon.logFile}`);
    await daemon.waitForStatus('the first commit good', (s) => (s.lastGoodRevision === first ? true : undefined), 90_000);
    // A quarantined commit before the kills, so that surviving them means something.
    const bad = await repo.commit(config(fleet, 2, WEB_UNHEALTHY), 'gen 2: unhealthy image');
    await daemon.waitForStatus('the bad commit quarantined and reverted', (s) => (s.quarantined.some((q) => q.revision === bad) && s.phase === 'idle' ? true : undefined), 120_000);
    let lastGood = first;
    let gen = 2;

    for (const [label, moment] of [
      ['after the first batch', (cs: SeenContainer[], rolling: string) => cs.filter((c) => c.labels['flotilla.commit'] === rolling && c.state === 'running').length === 1],
      ['inside a replace, the old replica stopped and renamed aside', (cs: SeenContainer[]) => cs.some((c) => c.name.endsWith('-flotilla-old'))],
    ] as const) {
      await t.test(`SIGKILL ${label}: the restarted daemon converges the fleet and keeps its state`, async (st) => {
        gen++;
        const rolling = await repo.commit(config(fleet, gen, gen % 2 ? WEB_HEALTHY : WEB_V2), `gen ${gen}: killed ${label}`);
        const atKill = await whenFleet(fleet, label, (cs) => moment(cs, rolling));
        await kill(daemon as Daemon);
        st.diagnostic(`killed with: ${ids(atKill)}`);
        daemon = await start();
        const s = await daemon.waitForStatus('the restarted daemon settled', (x) => (x.phase === 'idle' && x.lastError === undefined && (x.lastGoodRevision === rolling || x.quarantined.some((q) => q.revision === rolling)) ? x : undefined), 120_000, 250);
        st.diagnostic(`after restart: last good ${s.lastGoodRevision?.slice(0, 8)} (rolling ${rolling.slice(0, 8)}), quarantined ${s.quarantined.map((q) => q.revision.slice(0, 8)).join(',')}`);
        assert.equal(s.lastGoodRevision, rolling, 'a healthy rollout interrupted by a crash is finished, not reverted');
        assert.ok(s.quarantined.some((q) => q.revision === bad), 'the quarantine written before the kill survives it');
        assertWhole(await listFleet(fleet), rolling);
        lastGood = rolling;
      });
    }
    assert.notEqual(lastGood, first);
  } finally {
    await daemon?.dispose();
    await git.close();
    await fleet.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
