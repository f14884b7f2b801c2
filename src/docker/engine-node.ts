// The real DockerNode: one Docker Engine API request per method, through an EngineTransport
// (node:http for unix:// and tcp://, dockerode's modem loaded on demand for ssh://). Each
// request is written out here rather than left to dockerode's per-object helpers because the
// helpers differ in what they honour: several ignore an abort signal (so a hung daemon hangs
// the reconcile), and POST helpers also copy the whole body into the query string (container
// Env, secrets included, would end up in URLs and daemon debug logs).
import type { Readable } from 'node:stream';
import type { TlsFiles } from '../manifests/model.js';
import { newCallCounts, type CallCounts, type DockerNodeMethod } from './calls.js';
import { parseEndpoint, type EndpointOptions, type NodeConnection } from './endpoint.js';
import type { EngineRequest, EngineTransport, Query } from './engine-transport.js';
import {
  ContainerNotFoundError, ImageNotFoundError, ImagePullError, NodeUnreachableError, toDockerError, type DockerNodeError, type DockerOperation,
} from './errors.js';
import { HttpTransport } from './http-transport.js';
import { ModemTransport } from './modem-transport.js';
import { expectShape, SHAPES } from './answer-shape.js';
import { parseContainerList, parseInfo, parseInspect, splitImageRef } from './parse.js';
import { followPull } from './pull-progress.js';
import type { ContainerCreateBody, ContainerHealthView, DockerNode, NetworkCreate, NodeFacts, ObservedContainer, PullCredentials, VolumeCreate } from './types.js';
import type { EngineEventSource, EventFilters } from './engine-events.js';

/** Stop waits for the container's grace period; without one given, allow Docker's own up to this. */
const STOP_GRACE_ALLOWANCE_S = 300;

export class EngineNode implements DockerNode, EngineEventSource {
  /** API calls made, per method; each method makes exactly one request. */
  readonly calls: CallCounts = newCallCounts();
  private readonly transport: EngineTransport;

  constructor(
    readonly name: string,
    readonly connection: NodeConnection,
  ) {
    this.transport = connection.kind === 'ssh' ? new ModemTransport(connection.docker) : new HttpTransport(connection);
  }

  /** From a node of cluster.yaml. Throws EndpointError on an unusable endpoint or TLS file. */
  static fromSpec(spec: { name: string; endpoint: string; tls?: TlsFiles }, options: Omit<EndpointOptions, 'tls'> = {}): EngineNode {
    return new EngineNode(spec.name, parseEndpoint(spec.name, spec.endpoint, { ...options, tls: spec.tls }));
  }

  async listContainers(): Promise<ObservedContainer[]> {
    // all=1 and no label filter: unmanaged containers squatting a declared name or port are drift too.
    const raw = await this.call('listContainers', 'list containers', undefined, { method: 'GET', path: '/containers/json', query: { all: 1 }, ok: [200] });
    return parseContainerList(this.name, expectShape(this.name, 'list containers', raw, SHAPES.containerList));
  }

  async info(): Promise<NodeFacts> {
    return parseInfo(expectShape(this.name, 'info', await this.call('info', 'info', undefined, { method: 'GET', path: '/info', ok: [200] }), SHAPES.info));
  }

  async ping(): Promise<void> {
    await this.call('ping', 'ping', undefined, { method: 'GET', path: '/_ping', ok: [200] });
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      // Not URL-encoded, as the docker CLI does: the route takes the rest of the path as the name.
      await this.call('hasImage', 'inspect image', ref, { method: 'GET', path: `/images/${ref}/json`, ok: [200] });
      return true;
    } catch (err) {
      if (err instanceof ImageNotFoundError) return false;
      throw err;
    }
  }

  async pullImage(ref: string, credentials?: PullCredentials, platform?: string): Promise<void> {
    this.calls.pullImage++;
    const timeoutMs = this.connection.pullTimeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('pull timeout')), timeoutMs);
    timer.unref();
    const context = credentials ? { credentialSource: credentials.source } : {};
    const timedOut = (): ImagePullError => new ImagePullError(this.name, ref, `the pull did not finish within ${seconds(timeoutMs)}`, { ...context, reason: 'timed out' });
    // No answer at all (not even an error) means Docker is still looking for the registry.
    const answerTimeoutMs = this.connection.pullAnswerTimeoutMs;
    let answered = answerTimeoutMs >= timeoutMs;
    const answerTimer = answered ? undefined : setTimeout(() => controller.abort(new Error('no answer')), answerTimeoutMs);
    answerTimer?.unref();
    const unanswered = (): ImagePullError => new ImagePullError(this.name, ref, `Docker did not answer within ${seconds(answerTimeoutMs)}: it is still resolving or connecting to the registry, or the registry does not respond`, { ...context, reason: 'unreachable' });
    try {
      const request: EngineRequest = { method: 'POST', path: '/images/create', query: { ...splitImageRef(ref), ...(platform ? { platform } : {}) }, ok: [200], ...(credentials ? { registryAuth: credentials.header } : {}) };
      let stream: NodeJS.ReadableStream & { destroy(): void };
      try {
        stream = (await this.transport.request(request, controller.signal, true)) as NodeJS.ReadableStream & { destroy(): void };
      } finally {
        clearTimeout(answerTimer);
      }
      answered = true;
      // The abort signal stops covering a streamed response once its headers have arrived.
      const onAbort = (): void => stream.destroy();
      controller.signal.addEventListener('abort', onAbort, { once: true });
      try {
        const outcome = await followPull(stream);
        if (!outcome.ok) throw new ImagePullError(this.name, ref, outcome.error ?? 'unknown error', context);
      } finally {
        controller.signal.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      if (controller.signal.aborted) throw answered ? timedOut() : unanswered();
      if (err instanceof ImagePullError) throw err;
      const classified = this.classify('pull image', err, ref);
      // The registry's refusal, with where the credential came from for the advice.
      if (classified instanceof ImagePullError && credentials) throw new ImagePullError(this.name, ref, classified.dockerMessage, { ...context, cause: err });
      throw classified;
    } finally {
      clearTimeout(timer);
    }
  }

  async ensureNetwork(spec: NetworkCreate): Promise<void> {
    // CheckDuplicate: before API 1.44 Docker happily creates a second network of the same
    // name; with it, an existing one answers 409, which is the idempotent success here.
    const body: Record<string, unknown> = { Name: spec.name, CheckDuplicate: true, Internal: spec.internal, Labels: spec.labels };
    if (spec.driver !== undefined) body.Driver = spec.driver;
    if (spec.ipam !== undefined) body.IPAM = spec.ipam;
    await this.call('ensureNetwork', 'create network', spec.name, { method: 'POST', path: '/networks/create', body, ok: [200, 201, 409] });
  }

  async ensureVolume(spec: VolumeCreate): Promise<void> {
    // Docker returns an existing volume of the same name and driver as if created.
    const body: Record<string, unknown> = { Name: spec.name, DriverOpts: spec.driverOpts, Labels: spec.labels };
    if (spec.driver !== undefined) body.Driver = spec.driver;
    await this.call('ensureVolume', 'create volume', spec.name, { method: 'POST', path: '/volumes/create', body, ok: [200, 201] });
  }

  async connectNetwork(id: string, network: string, aliases: string[], ipv4Address?: string): Promise<void> {
    const body = { Container: id, EndpointConfig: { Aliases: aliases, ...(ipv4Address !== undefined ? { IPAMConfig: { IPv4Address: ipv4Address } } : {}) } };
    try {
      // Docker's own message names the network ("network x not found").
      await this.call('connectNetwork', 'connect network', id, { method: 'POST', path: `/networks/${encodeURIComponent(network)}/connect`, body, ok: [200] });
    } catch (err) {
      // Already connected: Docker 20.10 answers 403 "endpoint with name x already exists in network y".
      if (/already exists in network/i.test(err instanceof Error ? err.message : '')) return;
      throw err;
    }
  }

  async createContainer(name: string, body: ContainerCreateBody, platform?: string): Promise<string> {
    const created = await this.call('createContainer', 'create container', name, { method: 'POST', path: '/containers/create', query: { name, ...(platform ? { platform } : {}) }, body, ok: [200, 201] });
    const id = (created as { Id?: unknown } | null)?.Id;
    if (typeof id !== 'string') throw toDockerError(this.name, 'create container', new Error('Docker answered without a container id'), { subject: name });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    // 304: already running, which is what was asked for.
    await this.call('startContainer', 'start container', id, { method: 'POST', path: `/containers/${encodeURIComponent(id)}/start`, ok: [204, 304] });
  }

  async stopContainer(id: string, timeoutSeconds?: number): Promise<void> {
    const query: Query = timeoutSeconds === undefined ? {} : { t: Math.max(0, Math.round(timeoutSeconds)) };
    // The call outlasts the grace period it asks Docker to wait.
    const bound = this.connection.timeoutMs + (timeoutSeconds ?? STOP_GRACE_ALLOWANCE_S) * 1000;
    await this.call('stopContainer', 'stop container', id, { method: 'POST', path: `/containers/${encodeURIComponent(id)}/stop`, query, ok: [204, 304] }, bound);
  }

  async removeContainer(id: string): Promise<void> {
    // force: a running container goes too; v: its anonymous volumes go with it (named
    // volumes never do), as Swarm does for replaced tasks, so replacements do not leak disk.
    try {
      await this.call('removeContainer', 'remove container', id, { method: 'DELETE', path: `/containers/${encodeURIComponent(id)}`, query: { force: true, v: true }, ok: [200, 204] });
    } catch (err) {
      if (err instanceof ContainerNotFoundError) return; // already gone
      throw err;
    }
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    try {
      await this.call('renameContainer', 'rename container', newName, { method: 'POST', path: `/containers/${encodeURIComponent(id)}/rename`, query: { name: newName }, ok: [200, 204] });
    } catch (err) {
      // The subject above is the new name (for conflicts); a missing container is the old one.
      if (err instanceof ContainerNotFoundError) throw new ContainerNotFoundError(this.name, 'rename container', id, { cause: err });
      throw err;
    }
  }

  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    // Only the path goes into the URL; the files (secrets among them) travel in the body.
    await this.call('putArchive', 'upload files', id, { method: 'PUT', path: `/containers/${encodeURIComponent(id)}/archive`, query: { path }, raw: { contentType: 'application/x-tar', bytes: tar }, ok: [200] });
  }

  async inspectContainer(id: string): Promise<ContainerHealthView> {
    return parseInspect(expectShape(this.name, 'inspect container', await this.call('inspectContainer', 'inspect container', id, { method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, ok: [200] }), SHAPES.inspect, id));
  }

  async openEventStream(filters: EventFilters, signal: AbortSignal): Promise<Readable> {
    // The answer's headers must come within the usual bound; the stream itself lasts until
    // `signal` (the caller destroys it then). A controller of its own rather than the
    // caller's signal plus a timeout, because the ssh modem keeps listening on the signal it
    // was given for the life of the stream, and a timeout there would cut every stream.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new Error('no answer')), this.connection.timeoutMs);
    try {
      return (await this.transport.request({ method: 'GET', path: '/events', query: { filters: JSON.stringify(filters) }, ok: [200] }, controller.signal, true)) as Readable;
    } catch (err) {
      if (controller.signal.aborted && !signal.aborted) {
        throw new NodeUnreachableError(this.name, 'watch events', `the Docker API did not answer within ${seconds(this.connection.timeoutMs)}`, { cause: err, endpoint: this.connection.endpoint });
      }
      throw this.classify('watch events', err, undefined);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** One counted, time-bounded request whose failures come back as typed errors. */
  private async call(method: DockerNodeMethod, operation: DockerOperation, subject: string | undefined, request: EngineRequest, timeoutMs = this.connection.timeoutMs): Promise<unknown> {
    this.calls[method]++;
    const signal = AbortSignal.timeout(timeoutMs);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transport.request(request, signal, false);
      } catch (err) {
        if (signal.aborted) {
          throw new NodeUnreachableError(this.name, operation, `the Docker API did not answer within ${seconds(timeoutMs)}`, { cause: err, endpoint: this.connection.endpoint });
        }
        // Node's agent keeps connections alive; one the daemon dropped (it restarted) fails
        // with ECONNRESET/EPIPE on reuse. A read is retried once on a fresh connection so
        // that a daemon that is back is not reported down for a cycle; writes never are.
        if (attempt === 1 && request.method === 'GET' && isDroppedConnection(err)) continue;
        throw this.classify(operation, err, subject);
      }
    }
  }

  private classify(operation: DockerOperation, err: unknown, subject: string | undefined): DockerNodeError {
    // ssh2 says only "Host denied (verification failed)"; the verifier knows why.
    const refused = this.connection.hostKeyRejection?.reason;
    if (refused !== undefined && /Host denied/.test(err instanceof Error ? err.message : '')) {
      return new NodeUnreachableError(this.name, operation, `its ssh host key was refused: ${refused}`, { cause: err, endpoint: this.connection.endpoint });
    }
    return toDockerError(this.name, operation, err, { subject, endpoint: this.connection.endpoint });
  }
}

function isDroppedConnection(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
