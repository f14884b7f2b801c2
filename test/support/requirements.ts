// What integration tests need from the machine. Locally a missing piece skips the test with
// a message naming it; in CI (CI=true) it fails the test, so that a broken .ci/run cannot
// pass by skipping everything.
import { accessSync, constants, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { SYSTEM_PATH } from './exec.js';

export function which(program: string): string | undefined {
  for (const dir of SYSTEM_PATH.split(':')) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

// The busybox of Debian's `busybox` package is dynamically linked and cannot run in an
// image that has no libc; only `busybox-static` works. An ELF program header of type
// PT_INTERP (3) means a dynamic loader is needed.
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === 3) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/** Path of a statically linked busybox, or undefined. */
export function findBusybox(): string | undefined {
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox', which('busybox')]) {
    if (candidate === undefined) continue;
    try {
      accessSync(candidate, constants.X_OK);
      if (isStaticElf(candidate)) return candidate;
    } catch {
      // missing or unreadable
    }
  }
  return undefined;
}

export type Requirement = 'root' | 'docker' | 'git' | 'registry';

function missingFor(req: Requirement): string[] {
  switch (req) {
    case 'root':
      return process.getuid?.() === 0 ? [] : ['root privileges (network namespaces, dockerd)'];
    case 'docker': {
      const tools = ['dockerd', 'containerd', 'runc', 'ip', 'nsenter', 'iptables', 'tar', 'umount'];
      const missing = tools.filter((t) => which(t) === undefined).map((t) => `${t} on PATH`);
      if (findBusybox() === undefined) missing.push('a static busybox (Debian package busybox-static)');
      return missing;
    }
    case 'git':
      return which('git') === undefined ? ['git on PATH'] : [];
    case 'registry':
      // Debian packages docker-registry, apache2-utils (htpasswd) and openssl.
      return ['docker-registry', 'htpasswd', 'openssl'].filter((t) => which(t) === undefined).map((t) => `${t} on PATH`);
  }
}

/** Human-readable list of what is missing for `reqs`; empty when all is there. */
export function missingRequirements(reqs: readonly Requirement[]): string[] {
  return reqs.flatMap(missingFor);
}

/**
 * Returns true when the machine can run the test. Otherwise skips it (and returns false,
 * so the caller can `return`) or, in CI, throws so that the test fails.
 */
export function requireTools(t: TestContext, reqs: readonly Requirement[]): boolean {
  const missing = missingRequirements(reqs);
  if (missing.length === 0) return true;
  const message = `integration test needs: ${missing.join(', ')}`;
  if (process.env.CI === 'true') throw new Error(`${message} (CI=true: missing requirements fail instead of skipping)`);
  t.skip(message);
  return false;
}

/** For tests that start a fleet: root, dockerd and friends, a static busybox, git. */
export function requireDocker(t: TestContext): boolean {
  return requireTools(t, ['root', 'docker', 'git']);
}

/** For tests that also run a real image registry (test/support/registry.ts). */
export function requireRegistry(t: TestContext): boolean {
  return requireTools(t, ['root', 'docker', 'git', 'registry']);
}

/** For tests that need only the Git server. */
export function requireGit(t: TestContext): boolean {
  return requireTools(t, ['git']);
}
