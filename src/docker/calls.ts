// Per-method API call counters, exposed by both node implementations so tests can assert
// the cost contract of DESIGN.md ("one container list per node per cycle", no inspect loop).
import type { DockerOperation } from './errors.js';
import type { DockerNode } from './types.js';

export type DockerNodeMethod = Exclude<keyof DockerNode, 'name'>;

export type CallCounts = Record<DockerNodeMethod, number>;

// Typed as CallCounts so that a method added to DockerNode is a compile error until counted.
const ZERO: CallCounts = {
  listContainers: 0, info: 0, ping: 0, hasImage: 0, pullImage: 0, ensureNetwork: 0, ensureVolume: 0,
  connectNetwork: 0, createContainer: 0, startContainer: 0, stopContainer: 0, removeContainer: 0,
  renameContainer: 0, inspectContainer: 0, putArchive: 0,
};

export const DOCKER_NODE_METHODS = Object.keys(ZERO) as readonly DockerNodeMethod[];

export function newCallCounts(): CallCounts {
  return { ...ZERO };
}

export function resetCallCounts(counts: CallCounts): void {
  Object.assign(counts, ZERO);
}

export function totalCalls(counts: CallCounts): number {
  return DOCKER_NODE_METHODS.reduce((sum, m) => sum + counts[m], 0);
}

/** The operation each method performs, as error messages name it. */
export const OPERATION_OF: Readonly<Record<DockerNodeMethod, DockerOperation>> = {
  listContainers: 'list containers', info: 'info', ping: 'ping', hasImage: 'inspect image', pullImage: 'pull image',
  ensureNetwork: 'create network', ensureVolume: 'create volume', connectNetwork: 'connect network', createContainer: 'create container',
  startContainer: 'start container', stopContainer: 'stop container', removeContainer: 'remove container',
  renameContainer: 'rename container', inspectContainer: 'inspect container', putArchive: 'upload files',
};
