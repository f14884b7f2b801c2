// Benchmark of webhook latency: from the moment a signed GitHub push webhook is sent to
// the daemon to the first Docker API request of the reconcile it triggers, on a real fleet
// (one dockerd per network namespace) with the daemon's own pieces as `flotilla run`
// builds them: buildApp (Git source on the real Git test server, real EngineNodes),
// TriggerQueue, createRouter with the webhook routes, and the real HTTP server
// (test/support/webhook-daemon.ts).
//
// Each node is declared at a TCP proxy in front of its Docker API (tcp://<address>:2375),
// which timestamps the first bytes sent to any node after the webhook goes out: that is
// the first Docker API call, seen on the wire. Every push is a real change (a new
// environment value, so the replica is replaced), and the next push waits until the
// reconcile is over. Target: a median under 1 s over 20 pushes.
//
//   npm run bench:webhook     (PUSHES=… changes the count; needs root and dockerd)
import { createServer, connect, type Server } from 'node:net';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ConfigRepo, webStack, type ClusterConfig } from '../test/support/config-repo.js';
import { startFleet, type FleetNode } from '../test/support/fleet.js';
import { startInProcess } from '../test/support/flotilla.js';
import { startGitServer } from '../test/support/git-server.js';
import { loadImages, WEB_HEALTHY } from '../test/support/images.js';
import { missingRequirements } from '../test/support/requirements.js';
import { startWebhookDaemon } from '../test/support/webhook-daemon.js';
import { pushFor, SECRET, signatureHeader, withDeliveryId } from '../test/unit/webhooks/support.js';

const PUSHES = Number(process.env.PUSHES ?? 20);
const TARGET_MS = 1000;
const TOKEN = 'bench-webhook-token';

/** A TCP proxy per node that notes when the first request bytes after `arm()` go by. */
class WireClock {
  private armedAt: number | undefined;
  private first: { at: number; node: string } | undefined;
  private waiters: Array<() => void> = [];
  readonly servers: Server[] = [];

  async proxy(node: FleetNode): Promise<string> {
    const server = createServer((client) => {
      const upstream = connect(2375, node.address);
      client.on('data', () => {
        if (this.armedAt !== undefined && this.first === undefined) {
          this.first = { at: performance.now(), node: node.name };
          for (const wake of this.waiters.splice(0)) wake();
        }
      });
      client.pipe(upstream).pipe(client);
      const close = () => (client.destroy(), upstream.destroy());
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.servers.push(server);
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
    return `tcp://127.0.0.1:${address.port}`;
  }

  arm(): void {
    this.armedAt = performance.now();
    this.first = undefined;
  }

  /** The first Docker request after arm(), waiting for it. */
  async firstCall(timeoutMs: number): Promise<{ at: number; node: string }> {
    if (!this.first) await Promise.race([new Promise<void>((r) => this.waiters.push(r)), new Promise<void>((r) => setTimeout(r, timeoutMs))]);
    if (!this.first) throw new Error(`no Docker API call within ${timeoutMs} ms of the webhook`);
    const first = this.first;
    this.armedAt = undefined;
    return first;
  }

  close(): void {
    for (const s of this.servers) s.close();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] as number;
}

const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

async function main(): Promise<void> {
  const missing = missingRequirements(['root', 'docker', 'git']);
  if (missing.length > 0) {
    console.error(`bench:webhook needs: ${missing.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const fleet = await startFleet({ nodes: 2, name: 'bench-webhook' });
  const git = await startGitServer({ token: TOKEN });
  const clock = new WireClock();
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const nodes = await Promise.all(fleet.nodes.map(async (n) => ({ name: n.name, endpoint: await clock.proxy(n) })));
    const config = (value: number): ClusterConfig => ({ name: 'bench', nodes, stacks: { shop: webStack({ web: { replicas: 2, environment: { GREETING: `v${value}` } } }) } });
    const { repo } = await ConfigRepo.create(git, 'fleet-config', config(0));
    const flotilla = await startInProcess({ repoUrl: repo.url, token: TOKEN });
    cleanups.push(flotilla.close);
    const { queue, server, close } = await startWebhookDaemon(flotilla, { repoUrl: repo.url, secret: SECRET, onError: (err) => console.error('reconcile crashed', err) });
    cleanups.push(close);

    const latencies: number[] = [];
    const answers: number[] = [];
    for (let i = 1; i <= PUSHES; i++) {
      const sha = await repo.commit(config(i), `greeting v${i}`);
      const delivery = withDeliveryId('github', pushFor('github', repo.url, sha), `bench-${i}`);
      const body = Buffer.from(JSON.stringify(delivery.payload));
      const headers = { ...delivery.headers, ...signatureHeader('github', body) };
      clock.arm();
      const sent = performance.now();
      const res = await fetch(`http://${server.address}/hooks/github`, { method: 'POST', headers, body });
      answers.push(performance.now() - sent);
      if (res.status !== 202) throw new Error(`push ${i}: webhook answered ${res.status}: ${await res.text()}`);
      const first = await clock.firstCall(30_000);
      latencies.push(first.at - sent);
      await queue.idle();
      const applied = flotilla.status().appliedRevision;
      if (applied !== sha) throw new Error(`push ${i}: the reconcile applied ${applied ?? 'nothing'}, not ${sha}`);
      console.log(`push ${String(i).padStart(2)}: answered in ${fmt(answers.at(-1) as number)}, first Docker call (${first.node}) after ${fmt(latencies.at(-1) as number)}`);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const median = percentile(sorted, 0.5);
    console.log(`webhook -> first Docker API call of the triggered reconcile, ${PUSHES} pushes: median ${fmt(median)}, p90 ${fmt(percentile(sorted, 0.9))}, min ${fmt(sorted[0] as number)}, max ${fmt(sorted.at(-1) as number)}`);
    console.log(`webhook answered (202) in: median ${fmt(percentile([...answers].sort((a, b) => a - b), 0.5))}`);
    const met = median < TARGET_MS;
    console.log(`target: median under ${TARGET_MS} ms: ${met ? 'met' : 'NOT met'} (load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`);
    if (!met) process.exitCode = 1;
  } finally {
    for (const c of cleanups.reverse()) await c();
    clock.close();
    await git.close();
    await fleet.stop();
  }
}

await main();
