// Finding and killing a test node's processes through /proc. A node's dockerd is not
// enough to kill: containerd-shim re-parents itself to PID 1, and the containers run under
// the shims, so the tree is found by the node directory that appears on their command lines.
import { readdirSync, readFileSync } from 'node:fs';
import { sleepSync } from './exec.js';

interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
}

function readStat(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name sits in parentheses and may itself contain spaces or ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

// A zombie has released its mounts, sockets and namespaces; only its parent can reap it,
// and for daemons re-parented to PID 1 that may take a while, so it counts as gone.
export function isAlive(pid: number): boolean {
  const info = readStat(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** Live processes whose command line mentions `marker`, plus all their descendants. */
export function findProcessTree(marker: string, extraRoots: readonly number[] = []): number[] {
  const infos = allPids()
    .map(readStat)
    .filter((i): i is ProcInfo => i !== undefined && i.state !== 'Z');
  const children = new Map<number, number[]>();
  for (const i of infos) {
    const list = children.get(i.ppid) ?? [];
    list.push(i.pid);
    children.set(i.ppid, list);
  }
  const found = new Set<number>();
  const stack = [...extraRoots.filter(isAlive), ...infos.filter((i) => readCmdline(i.pid).includes(marker)).map((i) => i.pid)];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    if (found.has(pid) || pid === process.pid) continue;
    found.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...found];
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * SIGKILLs the tree and waits until every member is dead. Repeats the search because a
 * shim or a health-check exec may be spawned between one scan and the kill.
 */
export function killProcessTree(
  marker: string,
  extraRoots: readonly number[] = [],
  extraPids: () => number[] = () => [],
  timeoutMs = 10_000,
): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = [...new Set([...findProcessTree(marker, extraRoots), ...extraPids().filter(isAlive)])];
    if (pids.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`processes of ${marker} still alive after SIGKILL: ${pids.join(', ')}`);
    killAll(pids);
    while (pids.some(isAlive) && Date.now() < deadline) sleepSync(20);
  }
}
