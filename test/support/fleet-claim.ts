// Which fleet owns which index. Everything of fleet <i> is named after <i> (directory
// /tmp/flt<i>, bridge flt<i>, namespaces flt<i>-*, cgroup flt<i>), so a fleet can be torn
// down from its index alone: by its owner, by the exit hook, or by a later run that finds
// the leftovers of a test process that was SIGKILLed.
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cgroupPids, removeCgroups } from './cgroups.js';
import { daemonLayout, removeShimSockets } from './dockerd.js';
import { unmountUnder } from './mounts.js';
import { deleteFleetNetwork, listLinks, subnetInUse } from './netns.js';
import { killProcessTree } from './procs.js';

const MAX_INDEX = 255;
// A claim whose owner file is still missing is being written by a live process; past this
// age it is a leftover of a process that died in between.
const UNOWNED_GRACE_MS = 60_000;

interface Owner {
  pid: number;
  startTime: string;
  name: string;
}

export function fleetDir(index: number): string {
  return `/tmp/flt${index}`;
}

export function fleetCgroup(index: number): string {
  return `flt${index}`;
}

/** Start time of a live process (a zombie counts as dead), or undefined. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function ownerAlive(index: number): boolean {
  const dir = fleetDir(index);
  let owner: Owner;
  try {
    owner = JSON.parse(readFileSync(`${dir}/owner.json`, 'utf8')) as Owner;
  } catch {
    try {
      return Date.now() - statSync(dir).mtimeMs < UNOWNED_GRACE_MS;
    } catch {
      return false;
    }
  }
  // The start time guards against the owner's pid having been reused since.
  return processStartTime(owner.pid) === owner.startTime;
}

/** Atomically takes a free index: mkdir fails for everyone but one claimant. */
export function claimFleetIndex(name: string): number {
  const bridges = new Set(listLinks());
  const start = Math.floor(Math.random() * (MAX_INDEX + 1));
  for (let n = 0; n <= MAX_INDEX; n++) {
    const index = (start + n) % (MAX_INDEX + 1);
    if (bridges.has(`flt${index}`) || subnetInUse(index)) continue;
    try {
      mkdirSync(fleetDir(index));
    } catch {
      continue;
    }
    const owner: Owner = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', name };
    writeFileSync(`${fleetDir(index)}/owner.json`, JSON.stringify(owner));
    return index;
  }
  throw new Error('no free test fleet index in 10.213.0.0/16 (are stale fleets piling up?)');
}

function nodeDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${dir}/${e.name}`);
  } catch {
    return [];
  }
}

/** Kills, unmounts and deletes everything of fleet `index`. Synchronous, idempotent. */
export function destroyFleet(index: number): void {
  const dir = fleetDir(index);
  killProcessTree(`${dir}/`, [], () => cgroupPids(fleetCgroup(index)));
  for (const node of nodeDirs(dir)) removeShimSockets(daemonLayout(node));
  unmountUnder(dir);
  deleteFleetNetwork(index);
  removeCgroups(fleetCgroup(index));
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}

/** Destroys fleets whose owning process is gone; returns their indexes. */
export function sweepStaleFleets(): number[] {
  const indexes = new Set<number>();
  for (const entry of readdirSync('/tmp')) {
    const m = /^flt(\d+)$/.exec(entry);
    if (m) indexes.add(Number(m[1]));
  }
  for (const link of listLinks()) {
    const m = /^flt(\d+)$/.exec(link);
    if (m) indexes.add(Number(m[1]));
  }
  const stale = [...indexes].filter((i) => !ownerAlive(i));
  for (const index of stale) destroyFleet(index);
  return stale;
}
