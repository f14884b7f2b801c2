// The Docker calls behind each kind of action, in the order that keeps a replica safe:
// a replaced container is renamed aside (not removed) until its successor is healthy, so a
// crash or failure leaves something to fall back on and never two containers with one name.
// Returns undefined on success, the reason a person should read on failure, or INTERRUPTED
// when the replica's health gate was cut short because the rollout is being reverted.
import type { DockerNode } from '../../docker/types.js';
import type { RegistrySpec, ServiceSpec, UpdateConfig } from '../../manifests/model.js';
import { healthGateOptions, waitUntilHealthy } from '../../health/replica-health.js';
import { waitUntilCompleted } from '../../health/job-completion.js';
import type { Action, ContainerAction, CreateAction, ReplaceAction } from '../plan/actions.js';
import type { ExecuteOptions, Halt } from './execution-types.js';
import { ImagePulls } from './image-pulls.js';
import { Semaphore } from './semaphore.js';
import { fileArchive } from './file-archive.js';

/** A step whose health gate stopped waiting because the rollout halted for a revert. */
export const INTERRUPTED = Symbol('interrupted');
export type StepOutcome = undefined | string | typeof INTERRUPTED;

class Interrupted extends Error {}

/** Suffix of a replaced container while its successor proves itself. */
export const RETIRED_SUFFIX = '-flotilla-old';

export class ContainerSteps {
  private readonly images = new Map<string, Promise<void>>();
  private readonly resources = new Map<string, Promise<void>>();
  private readonly pulls: ImagePulls;

  constructor(
    private readonly options: ExecuteOptions,
    private readonly semaphores: Map<string, Semaphore>,
    private readonly perNode: number,
    registries: readonly RegistrySpec[] = [],
    private readonly halt: Halt = { halted: false },
  ) {
    this.pulls = new ImagePulls(registries, options);
  }

  async ensureResource(action: Action): Promise<void> {
    const node = this.options.node(action.node);
    const key = action.type === 'ensure-network' ? `${action.node}\0net\0${action.network.name}` : action.type === 'ensure-volume' ? `${action.node}\0vol\0${action.volume.name}` : '';
    if (!key) return;
    let pending = this.resources.get(key);
    if (!pending) {
      pending = this.limited(action.node, () => (action.type === 'ensure-network' ? node.ensureNetwork(action.network) : action.type === 'ensure-volume' ? node.ensureVolume(action.volume) : Promise.resolve()));
      this.resources.set(key, pending);
    }
    await pending;
  }

  /**
   * `keepFailed` (failure_action: continue) leaves a failed successor in place instead of
   * restoring the old replica; `order` comes from update_config, or rollback_config on the way back.
   */
  async run(action: ContainerAction, spec: ServiceSpec | undefined, gate: boolean, monitorMs: number, keepFailed = false, order: UpdateConfig['order'] = 'stop-first'): Promise<StepOutcome> {
    this.options.signal.throwIfAborted();
    const node = this.options.node(action.node);
    const event = (phase: 'start' | 'done' | 'failed' | 'skipped', message: string) =>
      this.options.onEvent?.({ phase, stack: action.stack, service: action.service, node: action.node, container: action.container.name, message });
    event('start', `${action.type} ${action.container.name} on ${action.node}: ${action.reason}`);
    try {
      switch (action.type) {
        case 'create':
          await this.create(node, action, spec);
          break;
        case 'start':
          await this.limited(action.node, () => node.startContainer(action.container.id));
          break;
        case 'replace':
          await this.replace(node, action, spec, gate, monitorMs, keepFailed, order);
          event('done', `replaced ${action.container.name} on ${action.node}`);
          return undefined;
        case 'remove':
          await this.retire(node, action.container.id, spec);
          event('done', `removed ${action.container.name} from ${action.node}`);
          return undefined;
      }
      if (gate) {
        const id = action.type === 'create' ? this.created.get(action.container.name) : action.container.id;
        const reason = await this.gate(node, id as string, spec, monitorMs);
        if (reason) {
          event('failed', reason);
          return reason;
        }
      }
      event('done', `${action.type === 'create' ? 'created' : 'started'} ${action.container.name} on ${action.node}`);
      return undefined;
    } catch (err) {
      if (this.options.signal.aborted) throw err;
      if (err instanceof Interrupted) {
        event('skipped', `${action.container.name} on ${action.node}: ${err.message}`);
        return INTERRUPTED;
      }
      const reason = (err as Error).message;
      event('failed', reason);
      return reason;
    }
  }

  private readonly created = new Map<string, string>();

  private async create(node: DockerNode, action: CreateAction | ReplaceAction, spec: ServiceSpec | undefined): Promise<string> {
    await this.ensureImage(node, action.container.body.Image, spec?.platform);
    // Built before anything is created: a file that cannot be delivered must not leave a container behind.
    const files = spec?.files ? fileArchive(spec.files) : undefined;
    this.throwIfInterrupted();
    const id = await this.limited(action.node, async () => {
      const id = await node.createContainer(action.container.name, action.container.body, spec?.platform);
      for (const network of action.connect) {
        const endpoint = action.endpoints?.[network];
        await node.connectNetwork(id, network, endpoint?.Aliases ?? [action.service], endpoint?.IPAMConfig?.IPv4Address);
      }
      // Configs and secrets are in place before the process starts, as with Compose.
      if (files) {
        try {
          await node.putArchive(id, '/', files);
        } catch (err) {
          // A container without its files must not be left to be started by a later cycle.
          await node.removeContainer(id).catch(() => undefined);
          throw err;
        }
      }
      await node.startContainer(id);
      return id;
    });
    this.created.set(action.container.name, id);
    return id;
  }

  /**
   * stop-first: stop the old replica, rename it aside, start the new one, and remove the old
   * one once the new one is healthy. start-first: the same, but the old one keeps serving
   * until the new one is healthy (only possible when they do not share a fixed host port).
   * A failed successor is removed and the old replica is put back as it was.
   */
  private async replace(node: DockerNode, action: ReplaceAction, spec: ServiceSpec | undefined, gate: boolean, monitorMs: number, keepFailed: boolean, order: UpdateConfig['order']): Promise<void> {
    const oldNode = this.options.node(action.old.node);
    const sameNode = action.old.node === action.node;
    const startFirst = order === 'start-first' && !action.mustStopFirst;
    const oldWasRunning = action.old.state === 'running';
    // Pull first: an image that cannot be had must not cost the old replica its uptime.
    await this.ensureImage(node, action.container.body.Image, spec?.platform);
    // A revert is coming: leave the old replica untouched rather than replace it twice.
    this.throwIfInterrupted();
    if (!startFirst) await this.limited(action.old.node, () => oldNode.stopContainer(action.old.id, graceSeconds(spec)));
    if (sameNode && action.old.name === action.container.name) {
      await this.limited(action.node, () => node.renameContainer(action.old.id, action.old.name + RETIRED_SUFFIX));
    }
    let newId: string | undefined;
    try {
      newId = await this.create(node, action, spec);
      if (gate) {
        const reason = await this.gate(node, newId, spec, monitorMs);
        if (reason) throw new Error(reason);
      }
    } catch (err) {
      if (keepFailed && newId) await this.retire(oldNode, action.old.id, spec).catch(() => undefined);
      else await this.restore(node, oldNode, action, newId, oldWasRunning, sameNode).catch(() => undefined);
      throw err;
    }
    await this.retire(oldNode, action.old.id, spec);
  }

  /** Undoes a failed replace on this replica: drop the successor, give the old one back its name and state. */
  private async restore(node: DockerNode, oldNode: DockerNode, action: ReplaceAction, newId: string | undefined, oldWasRunning: boolean, sameNode: boolean): Promise<void> {
    if (newId) await this.limited(action.node, () => node.removeContainer(newId as string));
    else {
      // Creation itself may have failed after the name was taken; look it up by name.
      const stray = (await node.listContainers()).find((c) => c.name === action.container.name);
      if (stray) await node.removeContainer(stray.id);
    }
    if (sameNode && action.old.name === action.container.name) await oldNode.renameContainer(action.old.id, action.old.name);
    if (oldWasRunning) await oldNode.startContainer(action.old.id);
  }

  private async retire(node: DockerNode, id: string, spec: ServiceSpec | undefined): Promise<void> {
    await this.limited(node.name, async () => {
      await node.stopContainer(id, graceSeconds(spec));
      await node.removeContainer(id);
    });
  }

  private throwIfInterrupted(): void {
    if (this.halt.interrupt?.signal.aborted) throw new Interrupted(`not started: the rollout is being reverted (${this.halt.reason ?? 'another service failed'})`);
  }

  /** Throws Interrupted when the rollout halts for a revert while this replica is being judged. */
  private async gate(node: DockerNode, id: string, spec: ServiceSpec | undefined, monitorMs: number): Promise<string | undefined> {
    const interrupt = this.halt.interrupt?.signal;
    const signal = interrupt ? AbortSignal.any([this.options.signal, interrupt]) : this.options.signal;
    try {
      const options = healthGateOptions(spec?.healthcheck, monitorMs);
      // A one-shot job passes by exiting 0, where any other replica fails by exiting.
      const verdict = spec?.runsOnce ? await waitUntilCompleted(node, id, options, this.options.clock, signal) : await waitUntilHealthy(node, id, options, this.options.clock, signal);
      return verdict.healthy ? undefined : verdict.reason;
    } catch (err) {
      if (!this.options.signal.aborted && interrupt?.aborted) throw new Interrupted(`stopped waiting for health: the rollout is being reverted (${this.halt.reason ?? 'another service failed'})`);
      throw err;
    }
  }

  /** Pulls an image at most once per node per run, and only when the node lacks it. */
  private async ensureImage(node: DockerNode, image: string, platform: string | undefined): Promise<void> {
    const key = `${node.name}\0${image}\0${platform ?? ''}`;
    let pending = this.images.get(key);
    if (!pending) {
      pending = this.limited(node.name, async () => {
        if (!(await node.hasImage(image))) await this.pulls.pull(node, image, platform);
      });
      this.images.set(key, pending);
    }
    await pending;
  }

  private limited<T>(nodeName: string, work: () => Promise<T>): Promise<T> {
    let semaphore = this.semaphores.get(nodeName);
    if (!semaphore) {
      semaphore = new Semaphore(this.perNode);
      this.semaphores.set(nodeName, semaphore);
    }
    return semaphore.use(work);
  }
}

function graceSeconds(spec: ServiceSpec | undefined): number | undefined {
  return spec?.stopGracePeriodMs !== undefined ? Math.ceil(spec.stopGracePeriodMs / 1000) : undefined;
}
