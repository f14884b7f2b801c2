// Typed errors of a Docker node. The reconciler decides by `code` (a down node is marked
// down and skipped, a port conflict fails one replica, a pull error fails a rollout), and
// people read `message`: every message names the node, the operation and what to do next.
import { registryHostOf } from './registry/image-host.js';
import { classifyPullFailure, pullAdvice, type PullFailureReason } from './registry/pull-failure.js';

export type DockerErrorCode =
  | 'NODE_UNREACHABLE'
  | 'ENDPOINT_INVALID'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_PULL_FAILED'
  | 'CONTAINER_CONFLICT'
  | 'CONTAINER_NOT_FOUND'
  | 'PORT_ALLOCATED'
  | 'ADDRESS_TAKEN'
  | 'DOCKER_API';

/** What Flotilla was doing; used in messages ("node-a: start container x failed: ..."). */
export type DockerOperation =
  | 'connect'
  | 'ping'
  | 'info'
  | 'list containers'
  | 'inspect image'
  | 'pull image'
  | 'create network'
  | 'create volume'
  | 'connect network'
  | 'create container'
  | 'start container'
  | 'stop container'
  | 'remove container'
  | 'rename container'
  | 'inspect container'
  | 'upload files'
  | 'watch events';

export abstract class DockerNodeError extends Error {
  abstract readonly code: DockerErrorCode;
  constructor(
    readonly node: string,
    readonly operation: DockerOperation,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NodeUnreachableError extends DockerNodeError {
  readonly code = 'NODE_UNREACHABLE' as const;
  constructor(node: string, operation: DockerOperation, readonly reason: string, options?: { cause?: unknown; endpoint?: string }) {
    const where = options?.endpoint ? ` at ${options.endpoint}` : '';
    super(node, operation, `Node "${node}" is unreachable${where} (${operation}): ${reason}. Check that its Docker daemon is running and that the endpoint in cluster.yaml is right; the node is marked down until it answers.`, options);
  }
}

/** The endpoint in cluster.yaml cannot be used as written (bad URL, unreadable TLS file). */
export class EndpointError extends DockerNodeError {
  readonly code = 'ENDPOINT_INVALID' as const;
  constructor(node: string, readonly endpoint: string, problem: string, options?: { cause?: unknown }) {
    super(node, 'connect', `Node "${node}": endpoint ${JSON.stringify(endpoint)} cannot be used: ${problem}.`, options);
  }
}

export class ImageNotFoundError extends DockerNodeError {
  readonly code = 'IMAGE_NOT_FOUND' as const;
  constructor(node: string, operation: DockerOperation, readonly image: string, options?: { cause?: unknown }) {
    super(node, operation, `Node "${node}": ${operation} failed: image ${image} is not present on the node. Pull it first, or check the image name and tag.`, options);
  }
}

export interface PullContext {
  cause?: unknown;
  /** Where the credential sent came from (a file path or helper name; never the credential). */
  credentialSource?: string;
  /** Set when the reason is known without reading Docker's message (a timeout, an unreadable credential file). */
  reason?: PullFailureReason;
}

/** A failed pull, naming the registry, the image and the reason (`unauthorized`, `manifest unknown`, ...). */
export class ImagePullError extends DockerNodeError {
  readonly code = 'IMAGE_PULL_FAILED' as const;
  /** The image's registry host, normalized (`docker.io` for Docker Hub). */
  readonly registry: string;
  readonly reason: PullFailureReason;
  constructor(node: string, readonly image: string, readonly dockerMessage: string, options?: PullContext) {
    const registry = registryHostOf(image);
    const reason = options?.reason ?? classifyPullFailure(dockerMessage);
    super(node, 'pull image', `Node "${node}" could not pull ${image} from registry ${registry}: ${reason} (${dockerMessage}). ${pullAdvice(reason, registry, options?.credentialSource)}`, options);
    this.registry = registry;
    this.reason = reason;
  }
}

export class ContainerConflictError extends DockerNodeError {
  readonly code = 'CONTAINER_CONFLICT' as const;
  constructor(node: string, operation: DockerOperation, readonly containerName: string, readonly dockerMessage: string, options?: { cause?: unknown }) {
    super(node, operation, `Node "${node}": ${operation} "${containerName}" failed: that name is already taken by another container (${dockerMessage}). Remove or rename the other container.`, options);
  }
}

export class ContainerNotFoundError extends DockerNodeError {
  readonly code = 'CONTAINER_NOT_FOUND' as const;
  constructor(node: string, operation: DockerOperation, readonly container: string, options?: { cause?: unknown }) {
    super(node, operation, `Node "${node}": ${operation} failed: no container ${shortId(container)} on the node (it was removed, perhaps by hand). The next reconcile re-reads the node.`, options);
  }
}

export class PortAllocatedError extends DockerNodeError {
  readonly code = 'PORT_ALLOCATED' as const;
  constructor(node: string, operation: DockerOperation, readonly container: string, readonly port: number | undefined, readonly dockerMessage: string, options?: { cause?: unknown }) {
    const which = port === undefined ? 'a published host port' : `host port ${port}`;
    super(node, operation, `Node "${node}": ${operation} ${shortId(container)} failed: ${which} is already in use on the node (${dockerMessage}). Free the port (stop whatever holds it) or publish a different one.`, options);
  }
}

/** libnetwork's IPAM refusal of a fixed `ipv4_address` that another container on the network already has. */
export class AddressTakenError extends DockerNodeError {
  readonly code = 'ADDRESS_TAKEN' as const;
  constructor(node: string, operation: DockerOperation, readonly container: string, readonly dockerMessage: string, options?: { cause?: unknown }) {
    super(node, operation, `Node "${node}": ${operation} ${shortId(container)} failed: its fixed IP address (ipv4_address) is already taken on its network by another container (${dockerMessage}). Give the network an ip_range that leaves fixed addresses out of what Docker hands out, or pick a free address.`, options);
  }
}

export class DockerApiError extends DockerNodeError {
  readonly code = 'DOCKER_API' as const;
  constructor(node: string, operation: DockerOperation, readonly statusCode: number | undefined, readonly dockerMessage: string, subject?: string, options?: { cause?: unknown }) {
    const what = subject ? `${operation} ${shortId(subject)}` : operation;
    const status = statusCode === undefined ? '' : ` (HTTP ${statusCode})`;
    super(node, operation, `Node "${node}": ${what} failed${status}: ${dockerMessage}.`, options);
  }
}

/** A full 64-hex container id reads as its 12-character form, as `docker ps` shows it. */
export function shortId(subject: string): string {
  return /^[0-9a-f]{64}$/.test(subject) ? subject.slice(0, 12) : subject;
}

// Socket-level failures: the daemon is not there (or not answering), so the node is down.
// Node's TLS failures carry OpenSSL's reason as the code (an unknown CA, an expired or
// mismatched certificate, a client certificate the daemon wants): the node cannot be reached
// until its certificates are fixed, which is a different fix from a daemon that is down.
// EPROTO is what a TLS client gets from a port that does not speak TLS (OpenSSL's "wrong
// version number"): most often a tls: block pointed at the daemon's plain port.
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$)/;

const UNREACHABLE_ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'the Docker socket does not exist',
  EACCES: 'permission denied on the Docker socket',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  EHOSTDOWN: 'host is down',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNABORTED: 'the connection was aborted',
  UND_ERR_SOCKET: 'the connection was closed',
};

/** The shape docker-modem gives its errors, which http-transport.ts copies; everything optional because `err` is unknown. */
interface ModemErrorShape {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  statusCode?: unknown;
  json?: unknown;
  level?: unknown;
  /** OpenSSL's short reason on TLS errors ("tlsv13 alert certificate required"). */
  reason?: unknown;
}

/** OpenSSL's short reason: given as `reason`, or inside the message ("SSL routines:fn:wrong version number:file:line"). */
function tlsReason(e: ModemErrorShape, errno: string): string {
  if (typeof e.reason === 'string' && e.reason !== '') return e.reason;
  const message = typeof e.message === 'string' ? e.message : '';
  return /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? (message.split('\n')[0] || errno);
}

/** Docker's own message out of a modem error ("(HTTP code 409) unexpected - <msg>"). */
export function dockerMessageOf(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ModemErrorShape;
  const json = e.json;
  if (typeof json === 'object' && json !== null && 'message' in json && typeof json.message === 'string') return json.message.trim();
  if (typeof json === 'string' && json.trim() !== '') return json.trim();
  if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
  const msg = typeof e.message === 'string' ? e.message : String(err);
  return msg.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

const PORT_TAKEN = /port is already allocated|address already in use|bind: .*in use/i;
// IPAM says only this, where a port conflict names the bind or the allocation.
const IP_TAKEN = /^address already in use\.?$/i;

/** The host port out of Docker's messages: "Bind for 0.0.0.0:8080 failed", "listen tcp4 0.0.0.0:8080: bind". */
export function portOfMessage(msg: string): number | undefined {
  const m = /(?:Bind for|listen (?:tcp|udp)[46]?) \[?[0-9a-fA-F.:]*\]?:(\d+)/.exec(msg);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export interface ErrorContext {
  /** The container name or id, or the image reference, the call was about. */
  subject?: string;
  /** The endpoint, for unreachable messages. */
  endpoint?: string;
}

/** Classifies a transport (node:http or docker-modem) or socket error into one of the typed errors above. */
export function toDockerError(node: string, operation: DockerOperation, err: unknown, context: ErrorContext = {}): DockerNodeError {
  if (err instanceof DockerNodeError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ModemErrorShape;
  const subject = context.subject ?? '';
  const cause = { cause: err };
  const errno = typeof e.code === 'string' ? e.code : undefined;
  if (errno !== undefined && UNREACHABLE_ERRNO[errno] !== undefined) {
    return new NodeUnreachableError(node, operation, `${UNREACHABLE_ERRNO[errno]} (${errno})`, { ...cause, endpoint: context.endpoint });
  }
  if (errno !== undefined && TLS_FAILURE.test(errno)) {
    return new NodeUnreachableError(node, operation, `the TLS handshake failed: ${tlsReason(e, errno)} (${errno}); check that the port serves TLS, and tls.ca, tls.cert and tls.key in cluster.yaml`, { ...cause, endpoint: context.endpoint });
  }
  if (e.name === 'AbortError' || e.name === 'TimeoutError') {
    return new NodeUnreachableError(node, operation, 'the Docker API did not answer in time', { ...cause, endpoint: context.endpoint });
  }
  // ssh2 reports transport, handshake and authentication failures with a `level`.
  if (typeof e.level === 'string' && (e.level.startsWith('client-') || e.level === 'handshake' || e.level === 'agent')) {
    return new NodeUnreachableError(node, operation, `ssh ${e.level.replace(/^client-/, '')} failed: ${String(e.message)}`, { ...cause, endpoint: context.endpoint });
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const msg = dockerMessageOf(err);
  if (status === undefined && typeof e.message === 'string' && /socket hang up/i.test(e.message)) {
    return new NodeUnreachableError(node, operation, 'the connection was closed before Docker answered', { ...cause, endpoint: context.endpoint });
  }
  if (operation === 'pull image') return new ImagePullError(node, subject, msg || 'the registry refused the pull', cause);
  if (IP_TAKEN.test(msg)) return new AddressTakenError(node, operation, subject, msg, cause);
  if (PORT_TAKEN.test(msg)) return new PortAllocatedError(node, operation, subject, portOfMessage(msg), msg, cause);
  if (status === 409 && (operation === 'create container' || operation === 'rename container')) {
    return new ContainerConflictError(node, operation, subject, msg, cause);
  }
  if (status === 404 && /no such image/i.test(msg)) {
    const image = /no such image:\s*(\S+)/i.exec(msg)?.[1] ?? subject;
    return new ImageNotFoundError(node, operation, image, cause);
  }
  if (status === 404 && /no such container/i.test(msg)) return new ContainerNotFoundError(node, operation, subject, cause);
  return new DockerApiError(node, operation, status, msg || 'unknown error', subject || undefined, cause);
}
