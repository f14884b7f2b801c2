// Each node's dockerd is started with its own --cgroup-parent, so the cgroups of its
// containers can be found (to kill stragglers) and removed after a SIGKILL teardown, when
// nobody is left to remove them.
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { listMounts } from './mounts.js';
import { sleepSync } from './exec.js';

function hierarchyRoots(): string[] {
  return [...new Set(listMounts().filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2').map((m) => m.mountPoint))];
}

function subtree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out = [dir];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...subtree(join(dir, entry.name)));
  }
  return out;
}

/** The cgroup directories named `parent` and below, in every mounted hierarchy. */
export function cgroupDirs(parent: string): string[] {
  return hierarchyRoots().flatMap((root) => subtree(join(root, parent)));
}

/** Every process in any cgroup under `parent`, in any mounted hierarchy. */
export function cgroupPids(parent: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(parent)) {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
        if (line !== '') pids.add(Number(line));
      }
    } catch {
      // removed while we read
    }
  }
  return [...pids];
}

/** Removes the (by now empty) cgroup trees named `parent`, deepest first. */
export function removeCgroups(parent: string, timeoutMs = 5_000): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dirs = cgroupDirs(parent).sort((a, b) => b.length - a.length);
    if (dirs.length === 0) return;
    for (const dir of dirs) {
      try {
        rmdirSync(dir);
      } catch {
        // EBUSY while the kernel finishes tearing down the last killed task
      }
    }
    if (Date.now() > deadline) throw new Error(`cgroups left behind: ${cgroupDirs(parent).join(', ')}`);
    sleepSync(20);
  }
}
