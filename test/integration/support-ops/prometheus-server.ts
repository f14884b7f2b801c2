// A real Prometheus server (Debian's `prometheus` package) as a child process for tests:
// its own config, a temporary TSDB, the web API on 127.0.0.1, scraping every second.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import { which } from '../../support/requirements.js';
import { waitFor } from '../../support/wait.js';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query through Prometheus' own HTTP API. */
  query(promql: string): Promise<PromSample[]>;
  /** GET /api/v1/<path>, the `data` of the answer. */
  api<T>(path: string): Promise<T>;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** Path of the prometheus binary; skips (locally) or fails (CI=true) when it is missing. */
export function requirePrometheus(t: TestContext): string | undefined {
  const binary = which('prometheus');
  if (binary) return binary;
  const message = 'prometheus is not installed (Debian package prometheus)';
  if (process.env.CI === 'true') throw new Error(`${message}; CI=true: a missing requirement fails instead of skipping`);
  t.skip(message);
  return undefined;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPrometheus(binary: string, options: { targets: string[]; ruleFiles?: string[]; httpSd?: { url: string; metricsPath?: string } }): Promise<PrometheusServer> {
  const dir = mkdtempSync('/tmp/flotilla-prometheus-');
  const port = await freePort();
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    ...(options.ruleFiles ? { rule_files: options.ruleFiles } : {}),
    scrape_configs: [
      { job_name: 'flotilla', static_configs: [{ targets: options.targets }] },
      // Targets found through Flotilla's own HTTP SD route, refreshed every second.
      ...(options.httpSd ? [{ job_name: 'flotilla-sd', metrics_path: options.httpSd.metricsPath ?? '/metrics', http_sd_configs: [{ url: options.httpSd.url, refresh_interval: '1s' }] }] : []),
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const logFile = join(dir, 'prometheus.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(binary, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=1h',
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  const logTail = (lines = 20) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}/api/v1/${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus /api/v1/${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  const server: PrometheusServer = {
    url,
    api,
    query: async (promql) => (await api<{ result: PromSample[] }>(`query?query=${encodeURIComponent(promql)}`)).result,
    logTail,
    async stop() {
      process.off('exit', kill);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(kill, 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor('Prometheus to be ready', async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${logTail()}`);
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
      return res.status === 200 ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
