// The compact record of a replica's container: what the scheduler and the drift assessment
// need of it, read once while the observation is indexed and packed into one number per
// slot. On a large fleet a plan is bound by memory, not arithmetic: each pass that went back
// to the containers (their labels, names and hash strings, scattered through the heap) paid
// a cache miss per replica, so a fleet four times larger cost five to six times as much.
// Only slots with exactly one container get facts (nearly all); the others take the long way.
import type { ObservedContainer } from '../../docker/types.js';
import { LABEL } from '../../docker/labels.js';
import type { NodeAvailability } from './node-availability.js';

/** How a container compares with its replica's desired state (drift.ts turns it into a verdict). */
export type Judged = 'in-sync' | 'renamed' | 'image-changed' | 'spec-changed' | 'stopped' | 'stuck' | 'unhealthy';

/** What a container is judged against: its service's hash, image and one-shot flag. */
export interface JudgedAgainst {
  hash: string;
  image: string;
  runsOnce: boolean;
}

/** The container standing for a replica on its node (`named`: it has the replica's name), against what the replica should be. */
export function judgeContainer(c: ObservedContainer, named: boolean, want: JudgedAgainst): Judged {
  if (!named) return 'renamed';
  if (c.labels[LABEL.specHash] !== want.hash) return c.image !== want.image ? 'image-changed' : 'spec-changed';
  // A one-shot job that ran to exit 0 is done, not stopped; any other exit runs it again.
  if (want.runsOnce && c.state === 'exited' && c.exitCode === 0) return 'in-sync';
  if (c.state === 'exited' || c.state === 'created') return 'stopped';
  // Stopped in a way a start does not fix: the container is recreated.
  if (c.state === 'paused' || c.state === 'dead' || c.state === 'removing') return 'stuck';
  if (c.health === 'unhealthy') return 'unhealthy';
  // `restarting` is Docker's restart policy at work, not drift; the health gate judges it.
  return 'in-sync';
}

export interface SlotFacts {
  /** Position of the container's node in the index's `nodeNames`. */
  node: number;
  availability: NodeAvailability | undefined;
  /** Whether the node satisfies the service's placement constraints. */
  eligible: boolean;
  /** observed-index.ts `candidateRank` against the service's hash. */
  rank: number;
  judged: Judged;
}

const JUDGED: readonly Judged[] = ['in-sync', 'renamed', 'image-changed', 'spec-changed', 'stopped', 'stuck', 'unhealthy'];
const AVAILABILITY: ReadonlyArray<NodeAvailability | undefined> = [undefined, 'up', 'held', 'lost'];
const PRESENT = 1 << 8;
/** Node positions up to 2^20 - 1; the packed value stays a small integer. */
export const MAX_FACTS_NODE = (1 << 20) - 1;

/** Packs facts into one non-zero number (0 means "no facts": no container, or several). */
export function packFacts(f: SlotFacts): number {
  if (!Number.isInteger(f.node) || f.node < 0 || f.node > MAX_FACTS_NODE) throw new RangeError(`node position ${f.node} out of range`);
  if (!Number.isInteger(f.rank) || f.rank < 0 || f.rank > 3) throw new RangeError(`rank ${f.rank} out of range`);
  return JUDGED.indexOf(f.judged) | (f.rank << 3) | (AVAILABILITY.indexOf(f.availability) << 5) | (f.eligible ? 1 << 7 : 0) | PRESENT | (f.node << 9);
}

export function hasFacts(packed: number): boolean {
  return (packed & PRESENT) !== 0;
}

export function factsJudged(packed: number): Judged {
  return JUDGED[packed & 7] as Judged;
}

export function factsRank(packed: number): number {
  return (packed >>> 3) & 3;
}

export function factsAvailability(packed: number): NodeAvailability | undefined {
  return AVAILABILITY[(packed >>> 5) & 3];
}

export function factsEligible(packed: number): boolean {
  return (packed & (1 << 7)) !== 0;
}

export function factsNode(packed: number): number {
  return packed >>> 9;
}

export function unpackFacts(packed: number): SlotFacts | undefined {
  if (!hasFacts(packed)) return undefined;
  return { node: factsNode(packed), availability: factsAvailability(packed), eligible: factsEligible(packed), rank: factsRank(packed), judged: factsJudged(packed) };
}
