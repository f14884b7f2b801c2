// Benchmark of event-driven self-heal: the `flotilla run` daemon, polling only once an hour,
// on a real two-node fleet (node-a over TCP, node-b over its unix socket). Each try breaks
// one replica the way an operator would, alternating `docker rm -f` and `docker stop` and
// the two nodes, and times it from the start of the docker command to the node's own API
// listing the replica running again (test/support/self-heal.ts). The next try waits until
// the fleet is in sync. Target: a median under 2 s.
//
//   npm run bench:self-heal     (TRIES=… changes the count, default 20; needs root and dockerd)
import { availableParallelism, loadavg } from 'node:os';
import { ConfigRepo, clusterPath, fleetClusterNodes, webStack, type ClusterConfig } from '../test/support/config-repo.js';
import { startFleet } from '../test/support/fleet.js';
import { metricValue, startDaemon, type Daemon } from '../test/support/flotilla.js';
import { startGitServer } from '../test/support/git-server.js';
import { loadImages, WEB_HEALTHY } from '../test/support/images.js';
import { missingRequirements } from '../test/support/requirements.js';
import { formatSummary, summarize, timeToHeal, type Breakage } from '../test/support/self-heal.js';
import { waitFor } from '../test/support/wait.js';

const TRIES = Number(process.env.TRIES ?? 20);
const TARGET_MS = 2_000;
const TOKEN = 'bench-self-heal-token';

async function main(): Promise<void> {
  const missing = missingRequirements(['root', 'docker', 'git']);
  if (missing.length > 0) {
    console.error(`bench:self-heal needs: ${missing.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const fleet = await startFleet({ nodes: 2, name: 'bench-self-heal' });
  const git = await startGitServer({ token: TOKEN });
  let daemon: Daemon | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const config: ClusterConfig = { name: 'bench', nodes: fleetClusterNodes(fleet, { tcp: ['node-a'] }), stacks: { shop: webStack({ web: { replicas: 2, port: 18095 } }) } };
    const { repo, sha } = await ConfigRepo.create(git, 'config', config);
    daemon = await startDaemon({ repoUrl: repo.url, token: TOKEN, clusterPath: clusterPath('bench'), interval: '1h' });
    const d = daemon;
    const inSync = (what: string) => d.waitForStatus(what, (s) => (s.phase === 'idle' && s.appliedRevision === sha && s.services.every((x) => x.inSync) ? true : undefined), 60_000, 50);
    await inSync('the first deploy');
    for (const node of fleet.nodes) {
      await waitFor(`the event stream of ${node.name}`, async () => (metricValue(await d.metrics(), 'flotilla_events_stream_up', { node: node.name }) === 1 ? true : undefined), { timeoutMs: 10_000 });
    }
    await inSync('the look after subscribing');
    const web = (await d.status()).services.find((s) => s.service === 'web');
    const where = new Map((web?.replicas ?? []).map((r) => [r.node, r.container]));

    const times: Record<Breakage, number[]> = { 'rm -f': [], stop: [] };
    for (let i = 0; i < TRIES; i++) {
      const node = fleet.nodes[i % 2] as (typeof fleet.nodes)[number];
      const how: Breakage = i % 4 < 2 ? 'rm -f' : 'stop';
      const ms = await timeToHeal(node, where.get(node.name) as string, how);
      times[how].push(ms);
      console.log(`try ${String(i + 1).padStart(2)}: docker ${how.padEnd(5)} on ${node.name} -> running again after ${ms.toFixed(0)} ms`);
      await inSync('the fleet in sync again');
    }
    const all = summarize([...times['rm -f'], ...times.stop]);
    console.log(`docker rm -f -> replacement running: ${formatSummary(summarize(times['rm -f']))}`);
    console.log(`docker stop  -> running again:       ${formatSummary(summarize(times.stop))}`);
    console.log(`all ${TRIES} tries (poll interval 1 h): ${formatSummary(all)}`);
    const met = all.median < TARGET_MS;
    console.log(`target: median under ${TARGET_MS} ms: ${met ? 'met' : 'NOT met'} (load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`);
    if (!met) process.exitCode = 1;
  } finally {
    await daemon?.dispose();
    await git.close();
    await fleet.stop();
  }
}

await main();
