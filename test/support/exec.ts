// Thin wrappers over child_process for the harness. Every failure carries the command line
// and its stderr, because a bare "exit code 1" from `ip` or `git` is useless in a CI log.
import { execFile, spawnSync } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

// The harness runs as root but may be started from a shell whose PATH lacks the sbin
// directories where dockerd, ip and iptables live.
export const SYSTEM_PATH = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
  .filter((p) => p !== '')
  .join(':');

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`\`${command}\` failed (${code ?? 'signal'}): ${stderr.trim() || stdout.trim() || 'no output'}`);
    this.name = 'CommandError';
  }
}

function describe(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...args],
      {
        cwd: opts.cwd,
        env: { ...(opts.env ?? process.env), PATH: SYSTEM_PATH },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code ?? null;
          reject(new CommandError(describe(cmd, args), code, stdout, stderr));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

// Synchronous variant for teardown, which must also work inside a process 'exit' handler
// where no further event-loop turn will happen.
export function runSync(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const res = spawnSync(cmd, [...args], {
    cwd: opts.cwd,
    env: { ...(opts.env ?? process.env), PATH: SYSTEM_PATH },
    timeout: opts.timeoutMs ?? 30_000,
    encoding: 'utf8',
    input: opts.input,
  });
  const stdout = res.stdout ?? '';
  const stderr = res.stderr ?? (res.error ? res.error.message : '');
  if (res.error || res.status !== 0) {
    throw new CommandError(describe(cmd, args), res.status ?? res.signal, stdout, stderr);
  }
  return { stdout, stderr };
}

// For cleanup steps where "already gone" is the expected outcome half of the time.
export function tryRunSync(cmd: string, args: readonly string[]): boolean {
  try {
    runSync(cmd, args);
    return true;
  } catch {
    return false;
  }
}

export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
