// An in-memory DockerNode for unit tests of the executor and health gates. It behaves like
// a Docker 20.10 daemon where the executor can tell (names are unique, create does not
// pull, start/stop/remove are idempotent, published ports are listed only while running,
// a host port is held by one running container) and records every write that reached it.
import { newCallCounts, OPERATION_OF, type CallCounts, type DockerNodeMethod } from './calls.js';
import { portsOf } from './parse.js';
import {
  ContainerConflictError, ContainerNotFoundError, DockerApiError, ImageNotFoundError, ImagePullError, NodeUnreachableError, PortAllocatedError,
  type DockerOperation,
} from './errors.js';
import type { ImageBehaviour, PreloadedContainer, RecordedCall, RecordingNodeOptions, SimContainer } from './recording-types.js';
import type { ContainerCreateBody, ContainerHealthView, DockerNode, NetworkCreate, NodeFacts, ObservedContainer, PullCredentials, VolumeCreate } from './types.js';

export type { ImageBehaviour, PreloadedContainer, RecordedCall, RecordingNodeOptions, SimContainer };

const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none', 'default']);
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export class RecordingDockerNode implements DockerNode {
  readonly calls: CallCounts = newCallCounts();
  /** Every write that reached the node (not while down), in order, whether it succeeded or not. */
  readonly writes: RecordedCall[] = [];
  readonly networks = new Set<string>();
  readonly volumes = new Set<string>();
  down = false;
  private readonly store = new Map<string, SimContainer>();
  private readonly images: Set<string> | undefined;
  private readonly behaviours = new Map<string, ImageBehaviour>();
  private readonly heldPorts = new Set<number>();
  private readonly injected = new Map<DockerNodeMethod, Error>();
  private readonly pulled = new Set<string>();
  /** The X-Registry-Auth each pull sent (none: anonymous), in call order; the call log keeps only the image. */
  readonly pullCredentials: Array<{ image: string; header?: string }> = [];
  /** The `platform` each pull and create asked for (only those that asked), in call order. */
  readonly platforms: Array<{ call: 'pull' | 'create'; name: string; platform: string }> = [];
  private readonly healthyAfter: number;
  private readonly facts: NodeFacts;
  private seq = 0;

  constructor(readonly name: string, options: RecordingNodeOptions = {}) {
    this.images = options.images ? new Set(options.images) : undefined;
    for (const [image, b] of Object.entries(options.behaviours ?? {})) this.behaviours.set(image, b);
    this.healthyAfter = options.healthyAfterInspects ?? 1;
    this.facts = options.facts ?? { cpus: 4, memoryBytes: 8 * 1024 ** 3, serverVersion: '20.10.24' };
    for (const n of options.networks ?? []) this.networks.add(n);
    for (const c of options.containers ?? []) this.addContainer(c);
  }

  /** Seeds a container as if made out of band (a squatter, a leftover); returns its id. */
  addContainer(c: PreloadedContainer): string {
    const labels = c.labels ?? c.body?.Labels ?? {};
    const body = c.body ?? { Image: c.image, Env: [], Labels: labels, HostConfig: { RestartPolicy: { Name: 'no' }, NetworkMode: 'bridge' } };
    const sim = this.newContainer(c.name, { ...body, Image: c.image, Labels: labels });
    sim.state = c.state ?? 'running';
    if (c.health !== undefined) sim.health = c.health;
    return sim.id;
  }

  /** The live record of a container, by id or name, for out-of-band changes in tests. */
  container(idOrName: string): SimContainer | undefined {
    return this.store.get(idOrName) ?? [...this.store.values()].find((c) => c.name === idOrName);
  }

  setDown(down: boolean): void {
    this.down = down;
  }
  setBehaviour(image: string, behaviour: ImageBehaviour): void {
    this.behaviours.set(image, behaviour);
  }
  /** A host port held by something that is not a container of this node. */
  holdPort(port: number): void {
    this.heldPorts.add(port);
  }
  /** The next call of `method` fails with `error` (after being counted and recorded). */
  failNext(method: DockerNodeMethod, error: Error): void {
    this.injected.set(method, error);
  }

  async listContainers(): Promise<ObservedContainer[]> {
    this.enter('listContainers');
    return [...this.store.values()].map((c) => {
      const out: ObservedContainer = {
        id: c.id, name: c.name, node: this.name, image: c.image, labels: { ...c.labels }, state: c.state,
        publishedPorts: c.state === 'running' || c.state === 'paused' ? portsOf(c.body) : [], createdAt: c.createdAt,
      };
      if (c.health !== undefined && c.state === 'running') out.health = c.health;
      if (c.state === 'exited') out.exitCode = c.exitCode;
      return out;
    });
  }
  async info(): Promise<NodeFacts> {
    this.enter('info');
    return { ...this.facts };
  }
  async ping(): Promise<void> {
    this.enter('ping');
  }
  async hasImage(ref: string): Promise<boolean> {
    this.enter('hasImage');
    return this.imagePresent(ref);
  }
  async pullImage(ref: string, credentials?: PullCredentials, platform?: string): Promise<void> {
    this.enter('pullImage', ['pull', ref]);
    if (platform !== undefined) this.platforms.push({ call: 'pull', name: ref, platform });
    this.pullCredentials.push({ image: ref, ...(credentials ? { header: credentials.header } : {}) });
    const fails = this.behaviours.get(ref)?.pullFails;
    if (fails !== undefined) throw new ImagePullError(this.name, ref, fails, credentials ? { credentialSource: credentials.source } : {});
    this.pulled.add(ref);
  }
  async ensureNetwork(spec: NetworkCreate): Promise<void> {
    this.enter('ensureNetwork', ['ensureNetwork', spec.name]);
    this.networks.add(spec.name);
  }
  async ensureVolume(spec: VolumeCreate): Promise<void> {
    this.enter('ensureVolume', ['ensureVolume', spec.name]);
    this.volumes.add(spec.name);
  }
  async connectNetwork(id: string, network: string, _aliases: string[] = [], _ipv4Address?: string): Promise<void> {
    this.enter('connectNetwork', ['connect', id, network]);
    const c = this.mustFind(id, 'connect network');
    // Like Docker 20.10: a container that is not running takes any network name, and its
    // start fails if the network does not exist by then.
    if (c.state === 'running' && !this.networkExists(network)) throw new DockerApiError(this.name, 'connect network', 404, `network ${network} not found`, id);
    if (!c.networks.includes(network)) c.networks.push(network);
  }

  async createContainer(name: string, body: ContainerCreateBody, platform?: string): Promise<string> {
    this.enter('createContainer', ['create', name]);
    if (platform !== undefined) this.platforms.push({ call: 'create', name, platform });
    if (!VALID_NAME.test(name)) throw new DockerApiError(this.name, 'create container', 400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, name);
    if (this.container(name)) throw new ContainerConflictError(this.name, 'create container', name, `Conflict. The container name "/${name}" is already in use`);
    if (!this.imagePresent(body.Image)) throw new ImageNotFoundError(this.name, 'create container', body.Image);
    // An unknown network is accepted here and fails the start, as in Docker.
    return this.newContainer(name, structuredClone(body)).id;
  }

  async startContainer(id: string): Promise<void> {
    this.enter('startContainer', ['start', id]);
    const c = this.mustFind(id, 'start container');
    if (c.state === 'running' || c.state === 'restarting') return; // 304
    const behaviour = this.behaviours.get(c.image) ?? {};
    const taken = this.takenPort(c);
    if (taken !== undefined || behaviour.portConflictOnStart) {
      // Like Docker: the container stays 'created' and keeps the error.
      const port = taken ?? portsOf(c.body)[0]?.hostPort;
      c.error = `Bind for 0.0.0.0:${port ?? 0} failed: port is already allocated`;
      throw new PortAllocatedError(this.name, 'start container', id, port, c.error);
    }
    const missingNet = c.networks.find((n) => !this.networkExists(n));
    if (missingNet !== undefined) {
      c.exitCode = 128;
      c.error = `network ${missingNet} not found`;
      throw new DockerApiError(this.name, 'start container', 404, c.error, id);
    }
    c.startedAt = new Date().toISOString();
    c.inspectsSinceStart = 0;
    c.error = '';
    if (behaviour.exitsAtOnce !== undefined) {
      c.exitCode = behaviour.exitsAtOnce;
      const policy = c.body.HostConfig.RestartPolicy.Name;
      const restarts = policy === 'always' || policy === 'unless-stopped' || (policy === 'on-failure' && c.exitCode !== 0);
      c.state = restarts ? 'restarting' : 'exited';
      if (c.state === 'restarting') c.restartCount++;
      delete c.health;
      return;
    }
    c.state = 'running';
    c.exitCode = 0;
    if (this.hasHealthcheck(c)) c.health = 'starting';
    else delete c.health;
  }

  async stopContainer(id: string): Promise<void> {
    this.enter('stopContainer', ['stop', id]);
    const c = this.mustFind(id, 'stop container');
    if (c.state !== 'running' && c.state !== 'restarting' && c.state !== 'paused') return; // 304
    c.state = 'exited';
    c.exitCode = 0;
    // Docker leaves a stopped container's last health as 'unhealthy'.
    if (c.health !== undefined) c.health = 'unhealthy';
  }

  async removeContainer(id: string): Promise<void> {
    this.enter('removeContainer', ['remove', id]);
    const c = this.container(id);
    if (c) this.store.delete(c.id); // absent: already gone, which is success
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    this.enter('renameContainer', ['rename', id, newName]);
    const c = this.mustFind(id, 'rename container');
    if (c.name === newName) throw new DockerApiError(this.name, 'rename container', 400, 'Renaming a container with the same name as its current name', newName);
    const holder = this.container(newName);
    if (holder) throw new ContainerConflictError(this.name, 'rename container', newName, `Conflict. The container name "/${newName}" is already in use by container "${holder.id}"`);
    c.name = newName;
  }

  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    this.enter('putArchive', ['putArchive', id, path]);
    const c = this.mustFind(id, 'upload files');
    // Like Docker: the archive API refuses a read-only root filesystem.
    if (c.body.HostConfig.ReadonlyRootfs) throw new DockerApiError(this.name, 'upload files', 403, 'container rootfs is marked read-only', id);
    c.archives.push({ path, tar: Buffer.from(tar) });
  }

  async inspectContainer(id: string): Promise<ContainerHealthView> {
    this.enter('inspectContainer');
    const c = this.mustFind(id, 'inspect container');
    c.inspectsSinceStart++;
    if (c.state === 'restarting') c.restartCount++;
    if (c.state === 'running' && c.health === 'starting' && c.inspectsSinceStart > this.healthyAfter) {
      c.health = this.behaviours.get(c.image)?.turnsUnhealthy ? 'unhealthy' : 'healthy';
    }
    const view: ContainerHealthView = {
      id: c.id, name: c.name, state: c.state, restartCount: c.restartCount, exitCode: c.exitCode, startedAt: c.startedAt, error: c.error,
    };
    if (c.health !== undefined) view.health = c.health;
    return view;
  }

  /** Counts the call, fails it if the node is down or a failure was injected, records writes. */
  private enter(method: DockerNodeMethod, write?: RecordedCall): void {
    this.calls[method]++;
    if (this.down) throw new NodeUnreachableError(this.name, OPERATION_OF[method], 'connection refused (ECONNREFUSED)');
    if (write) this.writes.push(write);
    const injected = this.injected.get(method);
    if (injected) {
      this.injected.delete(method);
      throw injected;
    }
  }

  private imagePresent(ref: string): boolean {
    if (this.pulled.has(ref)) return true;
    if (this.images) return this.images.has(ref);
    return this.behaviours.get(ref)?.pullFails === undefined;
  }

  private networkExists(n: string): boolean {
    return BUILTIN_NETWORKS.has(n) || n.startsWith('container:') || this.networks.has(n);
  }

  private hasHealthcheck(c: SimContainer): boolean {
    const test = c.body.Healthcheck?.Test;
    if (test && test[0] === 'NONE') return false;
    return test !== undefined || this.behaviours.get(c.image)?.imageHealthcheck === true;
  }

  /** A host port `c` would publish that something else already holds. */
  private takenPort(c: SimContainer): number | undefined {
    const others = [...this.store.values()].filter((o) => o !== c && (o.state === 'running' || o.state === 'paused')).flatMap((o) => portsOf(o.body));
    const clash = portsOf(c.body).find((p) => this.heldPorts.has(p.hostPort) || others.some((q) => q.hostPort === p.hostPort && q.protocol === p.protocol));
    return clash?.hostPort;
  }

  private mustFind(id: string, operation: DockerOperation): SimContainer {
    const c = this.container(id);
    if (!c) throw new ContainerNotFoundError(this.name, operation, id);
    return c;
  }

  private newContainer(name: string, body: ContainerCreateBody): SimContainer {
    const id = `${this.name}-c${++this.seq}`;
    const net = body.HostConfig.NetworkMode;
    const sim: SimContainer = {
      id, name, image: body.Image, labels: { ...body.Labels }, state: 'created', body, networks: [net], restartCount: 0, exitCode: 0,
      startedAt: '0001-01-01T00:00:00Z', error: '', createdAt: Math.floor(Date.now() / 1000), inspectsSinceStart: 0, archives: [],
    };
    this.store.set(id, sim);
    return sim;
  }
}
