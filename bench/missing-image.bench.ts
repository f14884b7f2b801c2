// Benchmark of a missing image (issue 11, part 4): the time from the start of the reconcile
// of a commit whose image tag does not exist to the revert decision (the moment Flotilla
// quarantines the commit and starts going back), on three real Docker nodes that pull from
// a real registry (Debian's docker-registry with htpasswd auth and TLS, on node-a's address).
//
// Scenarios (web: 3 replicas, healthcheck every 1 s; update_config monitor 1 s):
//   alone          the commit changes only web's tag, to one the registry does not have
//   with-sibling   the same commit also changes `api` (3 healthy replicas, update_config
//                  monitor 5 s, Flotilla's default): the revert decision could wait for
//                  api's health gates, which have nothing to do with the missing image
//   unreachable    the tag names a registry host nothing answers on (a TCP port of node-b
//                  that is closed), for comparison
//
//   npm run bench:missing-image     (RUNS=… per scenario, default 3; SCENARIOS=alone,…;
//                                    AUTH=off: an anonymous registry and no spec.registries;
//                                    TRACE=1: every log line of the failed reconcile, timed)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { startFleet } from '../test/support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../test/support/images.js';
import { startGitServer } from '../test/support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../test/support/config-repo.js';
import { missingRequirements } from '../test/support/requirements.js';
import { startRegistry } from '../test/support/registry.js';
import { runSync } from '../test/support/exec.js';

const RUNS = Math.max(1, Number(process.env.RUNS ?? 3));
const ALL = ['alone', 'with-sibling', 'unreachable'] as const;
type Scenario = (typeof ALL)[number];
const SCENARIOS = (process.env.SCENARIOS ? process.env.SCENARIOS.split(',') : [...ALL]) as Scenario[];
const AUTH = process.env.AUTH !== 'off';
const USER = 'bench';
const PASSWORD = 'bench-password-0123';

/** Log lines with the time they were written, to find the revert decision. */
class LogTimes extends Writable {
  readonly lines: Array<{ at: number; msg: string }> = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      try {
        this.lines.push({ at: performance.now(), msg: String((JSON.parse(line) as { msg?: unknown }).msg ?? '') });
      } catch {
        // not JSON: ignore
      }
    }
    done();
  }
}

async function main(): Promise<void> {
  const missing = missingRequirements(['root', 'docker', 'git', 'registry']);
  if (missing.length > 0) throw new Error(`cannot run: ${missing.join('; ')}`);
  runSync('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  const fleet = await startFleet({ nodes: 3, name: 'bench-missing-image' });
  const git = await startGitServer();
  const work = mkdtempSync('/tmp/flotilla-bench-missing-');
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const registry = await startRegistry(fleet, AUTH ? { users: { [USER]: PASSWORD } } : {});
    const via = fleet.nodes[0];
    if (!via) throw new Error('no node');
    await registry.push(via, WEB_HEALTHY, 'bench/web', 'v1', AUTH ? USER : undefined);
    const authFile = join(work, 'registry-auth.json');
    writeFileSync(authFile, JSON.stringify({ username: USER, password: PASSWORD }), { mode: 0o600 });
    const closedPort = `${fleet.nodes[1]?.address ?? ''}:5999`;

    const logs = new LogTimes();
    const image = (tag: string): string => registry.ref('bench/web', tag);
    const config = (gen: number, webImage: string, withApi: boolean): ClusterConfig => ({
      name: 'bench',
      nodes: fleetClusterNodes(fleet),
      ...(AUTH ? { registries: [{ host: registry.host, auth: { file: authFile } }] } : {}),
      stacks: {
        shop: {
          services: {
            web: { ...webService({ image: webImage, replicas: 3, monitor: '1s', environment: { GEN: String(gen) } }) },
            ...(withApi ? { api: webService({ image: image('v1'), replicas: 3, monitor: '5s', environment: { GEN: String(gen) } }) } : {}),
          },
        },
      },
    });

    const results: Array<{ scenario: Scenario; ms: number; reason: string }> = [];
    for (const scenario of SCENARIOS) {
      const withApi = scenario === 'with-sibling';
      for (let run = 1; run <= RUNS; run++) {
        const repoName = `config-${scenario}-${run}`;
        const { repo } = await ConfigRepo.create(git, repoName, config(1, image('v1'), withApi));
        logs.lines.length = 0;
        const flotilla = await buildApp({ repo: repo.url, branch: 'main', stateDir: join(work, `state-${repoName}`), nodeGraceMs: 60_000, healthGate: true, defaultMetrics: false, log: createLogger({ level: 'info', destination: logs }) });
        const reconcile = () => flotilla.reconciler.reconcile({ reasons: ['bench'], signal: AbortSignal.timeout(300_000) });
        const first = await reconcile();
        if (first !== 'success') throw new Error(`${scenario}: the good commit did not deploy: ${first}: ${JSON.stringify(flotilla.reconciler.status().lastError)}`);
        const badImage = scenario === 'unreachable' ? `${closedPort}/bench/web:v1` : image(`missing-${run}`);
        await repo.commit(config(2, badImage, withApi), `${scenario}: missing image`);
        logs.lines.length = 0;
        const started = performance.now();
        const result = await reconcile();
        const decided = logs.lines.find((l) => l.msg.startsWith('rollout failed; quarantined it and reverting'));
        if (result !== 'reverted' || !decided) throw new Error(`${scenario}: expected a revert, got ${result}: ${JSON.stringify(flotilla.reconciler.status().lastError)}`);
        const reason = flotilla.reconciler.history().at(-1)?.reason ?? '';
        results.push({ scenario, ms: decided.at - started, reason });
        if (process.env.TRACE) for (const l of logs.lines) console.log(`  +${((l.at - started) / 1000).toFixed(2)} s ${l.msg.slice(0, 160)}`);
        console.log(`${scenario} run ${run}: reconcile start -> revert decision ${((decided.at - started) / 1000).toFixed(2)} s; whole reconcile ${((performance.now() - started) / 1000).toFixed(2)} s`);
        // The next run starts from a fleet without this stack's containers.
        await repo.commit({ ...config(3, image('v1'), withApi), stacks: {} }, 'empty');
        await reconcile();
      }
    }
    console.log(`\nreconcile start -> revert decision (${RUNS} run(s) each, registry ${AUTH ? 'with' : 'without'} auth):`);
    for (const scenario of SCENARIOS) {
      const ms = results.filter((r) => r.scenario === scenario).map((r) => r.ms).sort((a, b) => a - b);
      const median = ms[Math.floor(ms.length / 2)] ?? NaN;
      console.log(`  ${scenario.padEnd(13)} median ${(median / 1000).toFixed(2)} s  (${ms.map((m) => (m / 1000).toFixed(2)).join(', ')})  target < 5 s`);
      console.log(`  ${''.padEnd(13)} reason: ${results.find((r) => r.scenario === scenario)?.reason.slice(0, 240) ?? ''}`);
    }
    await registry.stop();
  } finally {
    await git.close();
    await fleet.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
