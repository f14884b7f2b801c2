// Soak: a real `flotilla run` daemon polling every second while it receives 10 signed
// webhooks a second, for an hour by default. Every minute it prints the daemon's RSS, its
// open file descriptors (/proc/<pid>/fd) and its event-loop lag (prom-client's
// nodejs_eventloop_lag_* from /metrics), so that a leak of memory, sockets or files, or a
// loop that gets slower, shows as a trend. Not part of CI: it takes as long as you ask.
//
// Real: the daemon process, Git over smart HTTP (a real git http-backend), validation,
// planning, execution through EngineNode, the webhook route with HMAC checks. Synthetic:
// three in-memory Docker engines (test/support/fake-engine.ts) in this process, holding the
// fleet's 300 containers (100 services x 3 replicas), so that every poll observes them.
//
//   npm run bench:soak -- --minutes 3     (default 60; SERVICES=… changes the fleet)
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { startFakeEngine, type FakeEngine } from '../test/support/fake-engine.js';
import { metricValue, startDaemon, type Daemon } from '../test/support/flotilla.js';
import { startGitServer } from '../test/support/git-server.js';
import { missingRequirements } from '../test/support/requirements.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '60' } }, allowPositionals: true });
const MINUTES = Number(values.minutes);
const SERVICES = Number(process.env.SERVICES ?? 100);
const NODES = 3;
const WEBHOOKS_PER_SECOND = 10;
const SECRET = 'soak-webhook-secret';

function compose(services: number): string {
  const out: Record<string, unknown> = {};
  for (let s = 0; s < services; s++) {
    out[`svc-${s}`] = {
      image: `registry.example.com/soak/svc-${s}:1.0.0`,
      environment: { INDEX: String(s) },
      deploy: { replicas: 3, update_config: { monitor: '0s' } },
    };
  }
  return stringify({ services: out });
}

function cluster(engines: FakeEngine[]): string {
  return stringify({
    apiVersion: 'flotilla/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'soak' },
    spec: {
      nodes: engines.map((e) => ({ name: e.name, endpoint: e.endpoint })),
      stacks: [{ name: 'soak', compose: 'stacks/soak/compose.yaml' }],
      sync: { prune: true, selfHeal: true, revert: true },
    },
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** A signed generic webhook: `{}` asks for a sync now. Resolves with the HTTP status. */
async function webhook(url: string): Promise<number> {
  const body = '{}';
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const res = await fetch(`${url}/hooks/generic`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Signature': signature }, body, signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.status;
}

async function main(): Promise<void> {
  const missing = missingRequirements(['git']);
  if (missing.length > 0) throw new Error(`bench:soak needs ${missing.join(', ')}`);
  console.log(`bench:soak — ${MINUTES} min: flotilla run polling every 1 s, ${WEBHOOKS_PER_SECOND} signed webhooks/s, ${SERVICES} services x 3 replicas on ${NODES} simulated nodes`);
  const dir = mkdtempSync('/tmp/flotilla-soak-');
  const engines: FakeEngine[] = [];
  const git = await startGitServer();
  let daemon: Daemon | undefined;
  let sender: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; i < NODES; i++) engines.push(await startFakeEngine(`node-${i}`, dir));
    await git.createRepo('config');
    const first = await git.commitFiles('config', { 'clusters/soak/cluster.yaml': cluster(engines), 'stacks/soak/compose.yaml': compose(SERVICES) }, 'soak fleet');
    daemon = await startDaemon({ repoUrl: git.url('config'), interval: '1s', extraArgs: ['--log-level', 'warn'], env: { FLOTILLA_WEBHOOK_SECRET: SECRET } });
    const d = daemon;
    const pid = d.child.pid as number;
    await d.waitForStatus('the fleet deployed', (s) => (s.appliedRevision === first ? true : undefined), 300_000, 1_000);
    console.log(`deployed ${engines.reduce((n, e) => n + e.containerCount(), 0)} containers; soaking`);

    const answers = new Map<string, number>();
    let inFlight = 0;
    sender = setInterval(() => {
      for (let i = 0; i < WEBHOOKS_PER_SECOND; i++) {
        inFlight++;
        webhook(d.url)
          .then((status) => answers.set(String(status), (answers.get(String(status)) ?? 0) + 1))
          .catch((err: Error) => answers.set(err.name, (answers.get(err.name) ?? 0) + 1))
          .finally(() => inFlight--);
      }
    }, 1_000);

    const reconciles = (text: string): number => ['success', 'unchanged', 'failed', 'error', 'invalid', 'paused', 'reverted'].reduce((n, r) => n + (metricValue(text, 'flotilla_reconcile_total', { result: r }) ?? 0), 0);
    const header = 'minute   RSS MB   fds   loop lag mean / p99 / max ms   reconciles   webhooks answered';
    console.log(header);
    const rows: Array<{ rss: number; fds: number }> = [];
    for (let minute = 1; minute <= MINUTES; minute++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const text = await d.metrics();
      const lag = (name: string): string => ((metricValue(text, name) ?? NaN) * 1000).toFixed(1);
      const row = { rss: rssMb(pid), fds: openFds(pid) };
      rows.push(row);
      const answered = [...answers].map(([k, n]) => `${k}:${n}`).join(' ');
      console.log(`${String(minute).padStart(6)} ${row.rss.toFixed(1).padStart(8)} ${String(row.fds).padStart(5)}   ${`${lag('nodejs_eventloop_lag_mean_seconds')} / ${lag('nodejs_eventloop_lag_p99_seconds')} / ${lag('nodejs_eventloop_lag_max_seconds')}`.padEnd(30)} ${String(reconciles(text)).padStart(10)}   ${answered} (in flight ${inFlight})`);
    }
    const [a, b] = [rows[0], rows[rows.length - 1]];
    if (a && b) console.log(`first -> last minute: RSS ${a.rss.toFixed(1)} -> ${b.rss.toFixed(1)} MB, fds ${a.fds} -> ${b.fds}`);
  } finally {
    if (sender) clearInterval(sender);
    if (daemon) await daemon.dispose();
    await git.close();
    for (const e of engines) await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
