// Digests of delivered files, for the spec hash and the plan. A config's digest is a plain
// sha256: its content is in Git anyway. A secret's is an HMAC under a per-cluster key kept
// in the daemon's state dir, because the digest ends up in a container label that anyone
// with access to the node can read, and a plain hash of a short password is guessed offline.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';

export const DIGEST_KEY_FILE = 'secret-digest.key';

export interface DigestInput {
  kind: 'config' | 'secret';
  target: string;
  uid: number;
  gid: number;
  mode: number;
  entries: Array<{ path: string; mode: number; bytes: Buffer }>;
}

/** 16 hex digits over where the file goes, who owns it, and every byte of it. */
export function fileDigest(input: DigestInput, secretKey: Buffer): string {
  const mac = input.kind === 'secret' ? createHmac('sha256', secretKey) : createHash('sha256');
  mac.update(`${input.kind}\0${input.target}\0${input.uid}:${input.gid}:${input.mode.toString(8)}\0`);
  for (const entry of input.entries) {
    mac.update(`${entry.path}\0${entry.mode.toString(8)}\0${entry.bytes.byteLength}\0`).update(entry.bytes);
  }
  return mac.digest('hex').slice(0, 16);
}

/**
 * The key `flotilla validate` and a `plan` without the daemon's state dir fall back to. It is
 * not secret (derived from the cluster's name), so such a plan can tell that a secret is
 * declared, but it shows every secret as changed against a fleet the daemon deployed.
 */
export function fallbackDigestKey(cluster: string): Buffer {
  return createHash('sha256').update(`flotilla secret digest\0${cluster}`).digest();
}

/** Reads `<stateDir>/secret-digest.key`, making a random one (mode 0600) the first time. */
export async function loadOrCreateDigestKey(stateDir: string): Promise<Buffer> {
  const existing = await readDigestKey(stateDir);
  if (existing) return existing;
  await fs.mkdir(stateDir, { recursive: true });
  const file = join(stateDir, DIGEST_KEY_FILE);
  try {
    await fs.writeFile(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process made it first: use that one.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return (await readDigestKey(stateDir)) as Buffer;
}

/** The state dir's key, or undefined when it has none (never created here). */
export async function readDigestKey(stateDir: string): Promise<Buffer | undefined> {
  const text = await fs.readFile(join(stateDir, DIGEST_KEY_FILE), 'utf8').catch(() => undefined);
  const hex = text?.trim();
  if (!hex) return undefined;
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${join(stateDir, DIGEST_KEY_FILE)} is not 64 hex digits; delete it to have a new key made (every service with a secret is then replaced once)`);
  return Buffer.from(hex, 'hex');
}
