// Docker credential helpers (`credsStore`, `credHelpers` in config.json), run the way the
// Docker CLI runs them: `docker-credential-<name> get` with the server address on stdin,
// answering `{"ServerURL", "Username", "Secret"}` on stdout; a Username of `<token>` means
// the Secret is an identity token. A helper that has nothing for the server says so
// ("credentials not found") and that is not an error. Every run is bounded by a timeout,
// since a helper may prompt, wait on a keychain, or hang on the network.
import { spawn } from 'node:child_process';
import type { RegistryCredential } from './credential.js';

export const DEFAULT_HELPER_TIMEOUT_MS = 10_000;

export class CredentialHelperError extends Error {
  readonly code = 'CREDENTIAL_HELPER' as const;
}

export interface HelperOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started (ENOENT: not installed). */
  spawnError?: string;
}

/** Runs `program get` with `input` on stdin; the seam unit tests replace. */
export type HelperRunner = (program: string, input: string, timeoutMs: number) => Promise<HelperOutput>;

const MAX_OUTPUT = 64 * 1024;

export const runHelperProcess: HelperRunner = (program, input, timeoutMs) =>
  new Promise((resolve) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => { if (stdout.length < MAX_OUTPUT) stdout += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { if (stderr.length < MAX_OUTPUT) stderr += c.toString('utf8'); });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, timedOut, spawnError: err.code ?? err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => undefined); // a helper that exits without reading its input
    child.stdin.end(input);
  });

/** What the helper holds for `serverAddress`; undefined when it holds nothing for it. */
export async function credentialFromHelper(helper: string, serverAddress: string, run: HelperRunner = runHelperProcess, timeoutMs = DEFAULT_HELPER_TIMEOUT_MS): Promise<RegistryCredential | undefined> {
  const program = `docker-credential-${helper}`;
  const out = await run(program, serverAddress, timeoutMs);
  if (out.spawnError !== undefined) throw new CredentialHelperError(`${program} could not be run (${out.spawnError}); install it on the controller's machine or remove it from the Docker config`);
  if (out.timedOut) throw new CredentialHelperError(`${program} did not answer within ${timeoutMs / 1000} s`);
  if (out.code !== 0) {
    if (/credentials not found/i.test(out.stdout + out.stderr)) return undefined;
    // The helper's own words help, but only its first line, and only when short.
    const said = (out.stderr.trim() || out.stdout.trim()).split('\n')[0]?.slice(0, 200) ?? '';
    throw new CredentialHelperError(`${program} failed (exit code ${String(out.code)})${said ? `: ${said}` : ''}`);
  }
  let answer: { Username?: unknown; Secret?: unknown };
  try {
    answer = JSON.parse(out.stdout) as typeof answer;
  } catch {
    throw new CredentialHelperError(`${program} answered something that is not JSON`);
  }
  const username = typeof answer.Username === 'string' ? answer.Username : '';
  const secret = typeof answer.Secret === 'string' ? answer.Secret : '';
  if (secret === '') return undefined;
  if (username === '<token>') return { kind: 'identity-token', token: secret };
  if (username === '') throw new CredentialHelperError(`${program} answered a secret without a username`);
  return { kind: 'basic', username, password: secret };
}
