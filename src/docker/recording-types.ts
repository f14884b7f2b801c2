// The vocabulary of RecordingDockerNode (recording-node.ts): what it records, what it can
// be preloaded with, and the failures it can be told to inject.
import type { ContainerCreateBody, ContainerState, NodeFacts } from './types.js';

/** A write as the executor issued it, in order; ids are the node's container ids. */
export type RecordedCall =
  | ['pull', string]
  | ['ensureNetwork', string]
  | ['ensureVolume', string]
  | ['create', string]
  | ['start', string]
  | ['stop', string]
  | ['remove', string]
  | ['rename', string, string]
  | ['connect', string, string]
  | ['putArchive', string, string];

/** Failure injection, per image reference. */
export interface ImageBehaviour {
  /** pullImage fails with this registry message (and the image is absent until then). */
  pullFails?: string;
  /** The container exits at once after a successful start, with this code; with a restart policy it keeps restarting. */
  exitsAtOnce?: number;
  /** Its healthcheck goes starting -> unhealthy instead of healthy. */
  turnsUnhealthy?: boolean;
  /** start fails with PortAllocatedError whatever else holds the port. */
  portConflictOnStart?: boolean;
  /** The image has a HEALTHCHECK of its own (the create body need not carry one). */
  imageHealthcheck?: boolean;
}

export interface SimContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  health?: 'starting' | 'healthy' | 'unhealthy';
  body: ContainerCreateBody;
  networks: string[];
  restartCount: number;
  exitCode: number;
  startedAt: string;
  error: string;
  createdAt: number;
  /** Inspects since the last start, which drive the health transition. */
  inspectsSinceStart: number;
  /** Tar archives uploaded into it, in order. */
  archives: Array<{ path: string; tar: Buffer }>;
}

export interface PreloadedContainer {
  name: string;
  image: string;
  labels?: Record<string, string>;
  state?: ContainerState;
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** Defaults to a minimal body with these labels; its PortBindings are what gets published. */
  body?: ContainerCreateBody;
}

export interface RecordingNodeOptions {
  containers?: PreloadedContainer[];
  /** Images present at first; default every image except those whose pull is set to fail. */
  images?: string[];
  behaviours?: Record<string, ImageBehaviour>;
  /** How many inspects after a start a healthcheck reports 'starting' before its verdict (default 1). */
  healthyAfterInspects?: number;
  facts?: NodeFacts;
  networks?: string[];
}
