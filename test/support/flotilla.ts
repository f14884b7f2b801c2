// Flotilla as users run it, for integration tests: in process through the composition root
// (`buildApp`, a real GitSource on the test Git server and real EngineNodes), or as the
// `flotilla run` daemon in a child process, watched through its HTTP API.
import type { AgeKeyring } from '../../src/manifests/secrets/age-identities.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildApp, type App } from '../../src/app.js';
import { createLogger, silentLogger } from '../../src/log.js';
import type { EngineNode } from '../../src/docker/engine-node.js';
import type { Notifier } from '../../src/notify/types.js';
import type { ReconcileResult } from '../../src/reconcile/reconcile-result.js';
import type { DaemonStatus } from '../../src/reconcile/report/status.js';
import { packageRoot } from '../../src/package-root.js';
import { waitFor } from './wait.js';

export interface InProcessOptions {
  repoUrl: string;
  token?: string;
  clusterPath?: string;
  nodeGraceMs?: number;
  healthGate?: boolean;
  /** age identities for encrypted files in the repo (--age-key-file). */
  ageKeys?: AgeKeyring;
  /** As --verify-signatures gives them. */
  verifySignatures?: string[];
  /** Receives every fleet event instead of the configured providers. */
  notifier?: Notifier;
}

export interface InProcessFlotilla {
  app: App;
  stateDir: string;
  /** One reconcile, as one poll of the daemon runs it. */
  reconcile(reason?: string): Promise<ReconcileResult>;
  status(): DaemonStatus;
  /** The real node client the reconciler uses for a node (for its call counters). */
  node(name: string): EngineNode;
  close(): void;
}

export async function startInProcess(o: InProcessOptions): Promise<InProcessFlotilla> {
  const stateDir = mkdtempSync('/tmp/flotilla-state-');
  const app = await buildApp({
    repo: o.repoUrl,
    branch: 'main',
    ...(o.clusterPath ? { clusterPath: o.clusterPath } : {}),
    stateDir,
    ...(o.token ? { gitToken: o.token } : {}),
    ...(o.ageKeys ? { ageKeys: o.ageKeys } : {}),
    ...(o.verifySignatures ? { verifySignatures: o.verifySignatures } : {}),
    ...(o.notifier ? { notifier: o.notifier } : {}),
    nodeGraceMs: o.nodeGraceMs ?? 60_000,
    healthGate: o.healthGate ?? true,
    defaultMetrics: false,
    // FLOTILLA_TEST_LOG=<file> keeps the in-process reconciler's debug log, to read after a failure.
    log: process.env.FLOTILLA_TEST_LOG ? createLogger({ level: 'debug', pretty: false, destination: createWriteStream(process.env.FLOTILLA_TEST_LOG, { flags: 'a' }) }) : silentLogger(),
  });
  return {
    app,
    stateDir,
    reconcile: (reason = 'test') => app.reconciler.reconcile({ reasons: [reason], signal: AbortSignal.timeout(120_000) }),
    status: () => app.reconciler.status(),
    node: (name) => app.pool.get(name) as EngineNode,
    close: () => rmSync(stateDir, { recursive: true, force: true }),
  };
}

export interface DaemonOptions {
  repoUrl: string;
  token?: string;
  clusterPath?: string;
  interval: string;
  extraArgs?: string[];
  /** Extra environment for the daemon process (e.g. NODE_OPTIONS). */
  env?: Record<string, string>;
}

export interface Daemon {
  readonly url: string;
  readonly stateDir: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  status(): Promise<DaemonStatus>;
  metrics(): Promise<string>;
  /** Polls the status (every `intervalMs`, default 100) until `probe` returns a value. */
  waitForStatus<T>(what: string, probe: (s: DaemonStatus) => T | undefined, timeoutMs?: number, intervalMs?: number): Promise<T>;
  /** The last lines of the daemon's log, for failure messages. */
  logTail(lines?: number): string;
  /** SIGTERM, then waits for exit (SIGKILL after 25 s); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Stops it and deletes its state and log, unless FLOTILLA_KEEP_TEST_STATE is set (to read them after a failure). */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `flotilla run` as a child process and waits until its API answers. */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const stateDir = mkdtempSync('/tmp/flotilla-daemon-');
  daemonDirs.add(stateDir);
  const logFile = join(stateDir, 'daemon.log');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [join(packageRoot(), 'bin/flotilla.js'), 'run', '--repo', o.repoUrl, '--interval', o.interval, '--listen', `127.0.0.1:${port}`, '--state-dir', join(stateDir, 'state')];
  if (o.clusterPath) args.push('--path', o.clusterPath);
  if (o.token) {
    const tokenFile = join(stateDir, 'git-token');
    writeFileSync(tokenFile, o.token, { mode: 0o600 });
    args.push('--git-token-file', tokenFile);
  }
  args.push(...(o.extraArgs ?? []));
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_LOG_LEVEL: 'info', ...o.env } });
  // Both streams write to one log, so neither may end it; it is closed when the process is gone.
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  void exited.then(() => log.end());
  const liveChildren = daemons;
  liveChildren.add(child);
  void exited.then(() => liveChildren.delete(child));

  const get = async (path: string): Promise<Response> => fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
  const logTail = (lines = 30): string => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const daemon: Daemon = {
    url,
    stateDir,
    logFile,
    child,
    async status() {
      const res = await get('/api/v1/status');
      if (res.status !== 200) throw new Error(`GET /api/v1/status: HTTP ${res.status}`);
      return (await res.json()) as DaemonStatus;
    },
    async metrics() {
      return (await get('/metrics')).text();
    },
    async waitForStatus(what, probe, timeoutMs = 30_000, intervalMs = 100) {
      try {
        return await waitFor(what, async () => probe(await daemon.status()), { timeoutMs, intervalMs });
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- daemon log ---\n${logTail()}`);
      }
    },
    logTail,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      try {
        return await exited;
      } finally {
        clearTimeout(killer);
      }
    },
    async dispose() {
      await daemon.stop();
      if (process.env.FLOTILLA_KEEP_TEST_STATE) console.error(`daemon state and log kept in ${stateDir}`);
      else rmSync(stateDir, { recursive: true, force: true });
    },
  };
  await waitFor('the daemon to answer /healthz', async () => {
    if (child.exitCode !== null) throw new Error(`the daemon exited with code ${child.exitCode}:\n${logTail()}`);
    return (await get('/healthz')).status === 200 ? true : undefined;
  }, { timeoutMs: 20_000, intervalMs: 100 });
  return daemon;
}

const daemons = new Set<ChildProcess>();
const daemonDirs = new Set<string>();
// A test that forgets dispose() (or dies) leaves neither processes nor state dirs behind.
process.on('exit', () => {
  for (const child of daemons) child.kill('SIGKILL');
  if (!process.env.FLOTILLA_KEEP_TEST_STATE) for (const dir of daemonDirs) rmSync(dir, { recursive: true, force: true });
});

/** The value of one Prometheus sample (`name{labels}`), or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** One reconcile that must end with `expected`; otherwise fails with what the status says about it. */
export async function reconcileExpecting(flotilla: InProcessFlotilla, expected: ReconcileResult): Promise<void> {
  const result = await flotilla.reconcile();
  if (result === expected) return;
  const s = flotilla.status();
  throw new Error(`reconcile ended ${result}, expected ${expected}; lastError: ${JSON.stringify(s.lastError ?? null, null, 1)}; nodes: ${JSON.stringify(s.nodes)}; conflicts: ${JSON.stringify(s.conflicts)}`);
}
