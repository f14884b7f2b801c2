// Benchmark: converge time of the same Compose services on the same real swarm (one manager,
// two workers, each a dockerd in its own network namespace), Flotilla's `engine: swarm`
// against `docker stack deploy`, side by side in one run. Each repetition starts from no
// services. Two figures each:
//   running  from the start until every task of every service is running (what
//            `docker stack deploy` users wait for with `docker service ls`);
//   done     for Flotilla, the end of its reconcile, which also waits each service's
//            update_config.monitor and verifies health before it calls the commit good;
//            for `docker stack deploy`, the CLI's own exit (it returns before any task runs).
//
//   npm run bench:swarm      (REPS=… SERVICES=… REPLICAS=… change the run; needs root and dockerd)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { ConfigRepo, webService, type ClusterConfig } from '../test/support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../test/support/flotilla.js';
import { startGitServer } from '../test/support/git-server.js';
import { WEB_HEALTHY } from '../test/support/images.js';
import { missingRequirements } from '../test/support/requirements.js';
import { startSwarm, type TestSwarm } from '../test/support/swarm.js';

const REPS = Number(process.env.REPS ?? 3);
const SERVICES = Number(process.env.SERVICES ?? 3);
const REPLICAS = Number(process.env.REPLICAS ?? 2);

function services(gen: number): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Array.from({ length: SERVICES }, (_, i) => [`s${i}`, webService({ image: WEB_HEALTHY, replicas: REPLICAS, parallelism: 0, monitor: '1s', environment: { GEN: String(gen) } })]));
}

/** Waits until every service of the stack has all its tasks running; resolves with the ms since `since`. */
async function allRunning(swarm: TestSwarm, stack: string, since: number): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const out = await swarm.docker(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Replicas}}']);
    const rows = out.split('\n').filter(Boolean);
    if (rows.length === SERVICES && rows.every((r) => { const [a, b] = r.split(' ')[0]?.split('/') ?? []; return a === b && a !== '0'; })) return performance.now() - since;
    if (Date.now() > deadline) throw new Error(`stack ${stack} did not converge: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function removeStack(swarm: TestSwarm, stack: string): Promise<void> {
  const ids = (await swarm.docker(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])).split('\n').filter(Boolean);
  if (ids.length) await swarm.docker(['service', 'rm', ...ids]);
  // Tasks linger after their service is gone; the next run must start from no containers.
  for (let i = 0; i < 300; i++) {
    let left = 0;
    for (const node of swarm.fleet.nodes) left += (await swarm.docker(['ps', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`], node)).split('\n').filter(Boolean).length;
    if (left === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const missing = missingRequirements(['root', 'docker', 'git']);
  if (missing.length) throw new Error(`bench:swarm needs ${missing.join(', ')}`);
  const swarm = await startSwarm('bench-swarm');
  const git = await startGitServer();
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-swarm-'));
  const figures = { flotillaRunning: [] as number[], flotillaDone: [] as number[], stackRunning: [] as number[], stackCli: [] as number[] };
  try {
    const config = (gen: number): ClusterConfig => ({ name: 'bench', swarm: { manager: [swarm.managerEndpoint] }, nodes: swarm.fleet.nodes.map((n) => ({ name: n.name })), stacks: { flo: { services: services(gen) } } });
    const { repo } = await ConfigRepo.create(git, 'config', config(0));
    for (let rep = 1; rep <= REPS; rep++) {
      // Flotilla: one daemon-style reconcile of a fresh commit onto a swarm with no services.
      await repo.commit(config(rep), `rep ${rep}`);
      const flotilla = await startInProcess({ repoUrl: repo.url });
      const started = performance.now();
      const running = allRunning(swarm, 'flo', started);
      await reconcileExpecting(flotilla, 'success');
      figures.flotillaDone.push(performance.now() - started);
      figures.flotillaRunning.push(await running);
      flotilla.close();
      await removeStack(swarm, 'flo');

      // docker stack deploy of the same services.
      const file = join(work, `stack-${rep}.yaml`);
      writeFileSync(file, stringify({ version: '3.8', services: services(rep) }));
      const t0 = performance.now();
      await swarm.docker(['stack', 'deploy', '--resolve-image', 'never', '-c', file, 'raw']);
      figures.stackCli.push(performance.now() - t0);
      figures.stackRunning.push(await allRunning(swarm, 'raw', t0));
      await removeStack(swarm, 'raw');
      await swarm.docker(['network', 'rm', 'raw_default']).catch(() => undefined);
      console.log(`rep ${rep}: flotilla running ${s(figures.flotillaRunning.at(-1) as number)}, done ${s(figures.flotillaDone.at(-1) as number)}; docker stack deploy running ${s(figures.stackRunning.at(-1) as number)} (CLI returned after ${s(figures.stackCli.at(-1) as number)})`);
    }
    console.log(`\n${SERVICES} services x ${REPLICAS} replicas on a 3-node swarm, median of ${REPS}:`);
    console.log(`  flotilla (engine: swarm)   all tasks running ${s(median(figures.flotillaRunning))}   reconcile done (health verified) ${s(median(figures.flotillaDone))}`);
    console.log(`  docker stack deploy        all tasks running ${s(median(figures.stackRunning))}   CLI returned ${s(median(figures.stackCli))}`);
    console.log(`  ratio, all tasks running: ${(median(figures.flotillaRunning) / median(figures.stackRunning)).toFixed(2)}x`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await git.close();
    await swarm.stop();
  }
}

await main();
