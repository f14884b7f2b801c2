// A service's configs, secrets and repo-file bind mounts as Swarm config and secret objects.
// Swarm objects are immutable, so each is named by its content: `<stack>_<name>-<10 hex>`.
// A changed file is a new name, so the service spec that references it differs, its spec
// hash changes and Swarm rolls the service by update_config; the old object is deleted once
// no service uses it. A config's hash is a sha256 of its bytes (the bytes are in Git anyway);
// a secret's is its keyed digest (HMAC under the cluster's digest key), because object names
// are readable by anyone with access to the swarm and a plain hash of a short password is
// guessed offline.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { DeliveredFile, FileContent, ServiceSpec } from '../../manifests/model.js';
import { contentBytes } from '../../manifests/secret-bytes.js';
import { LABEL } from '../../docker/labels.js';

export type SwarmObjectKind = 'config' | 'secret';

/** Swarm's limit on an object name (swarmkit's validation). */
const MAX_NAME = 64;
const HASH_HEX = 10;

/** A config or secret object a service of Git needs. */
export interface DesiredObject {
  kind: SwarmObjectKind;
  name: string;
  /** The config or secret name in Compose, or the repo path of a bind-mounted file. */
  file: string;
  labels: Record<string, string>;
  /** Config bytes as base64; a secret's stay wrapped (SecretBytes) until the create call. */
  content: FileContent;
}

/** One entry of ContainerSpec.Configs or .Secrets, before the object's ID is known. */
export interface ObjectReference {
  kind: SwarmObjectKind;
  name: string;
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

/** The objects of one service, one per delivered file (folders are refused for swarm at validation). */
export function serviceObjects(cluster: string, stack: string, service: ServiceSpec): Array<{ object: DesiredObject; ref: ObjectReference }> {
  return (service.files ?? []).filter((f) => !f.directory && f.entries.length === 1).map((f) => {
    const entry = f.entries[0] as DeliveredFile['entries'][number];
    const name = objectName(stack, f, entry.content);
    return {
      object: { kind: f.kind, name, file: f.name, labels: { [LABEL.managed]: 'true', [LABEL.cluster]: cluster, [LABEL.stack]: stack, [OBJECT_FILE_LABEL]: f.name }, content: entry.content },
      ref: { kind: f.kind, name, target: f.target, uid: f.uid, gid: f.gid, mode: f.mode },
    };
  });
}

/** Which Compose config or secret (or repo file) an object holds: a name, never content. */
export const OBJECT_FILE_LABEL = 'flotilla.file';

export function objectName(stack: string, file: DeliveredFile, content: FileContent): string {
  const hash = file.kind === 'secret' ? file.digest.slice(0, HASH_HEX) : configHash(content);
  // A bind-mounted repo file is named by its base name; Swarm allows [a-zA-Z0-9-_.] only.
  const base = (file.name.includes('/') ? posix.basename(file.name) : file.name).replace(/[^a-zA-Z0-9_.-]/g, '-');
  const prefix = `${stack}_${base}`.slice(0, MAX_NAME - HASH_HEX - 1);
  return `${prefix}-${hash}`;
}

function configHash(content: FileContent): string {
  const bytes = contentBytes(content) ?? Buffer.alloc(0);
  return createHash('sha256').update(bytes).digest('hex').slice(0, HASH_HEX);
}

/** ContainerSpec.Configs and .Secrets as the Engine API takes them; IDs are filled in where known. */
export function referenceBodies(refs: readonly ObjectReference[], kind: SwarmObjectKind, ids: ReadonlyMap<string, string>): Array<Record<string, unknown>> {
  const idKey = kind === 'config' ? 'ConfigID' : 'SecretID';
  const nameKey = kind === 'config' ? 'ConfigName' : 'SecretName';
  return refs
    .filter((r) => r.kind === kind)
    .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0))
    .map((r) => {
      const id = ids.get(`${kind} ${r.name}`);
      return { File: { Name: r.target, UID: String(r.uid), GID: String(r.gid), Mode: r.mode }, ...(id ? { [idKey]: id } : {}), [nameKey]: r.name };
    });
}

type Raw = Record<string, unknown>;

/**
 * The spec with each config and secret reference's ID filled in from `ids` ("<kind> <name>"
 * -> ID): Swarm takes a reference only with both, and an object made in this cycle has its
 * ID only once created. A reference whose object is unknown is left without one.
 */
export function withObjectIds<T extends { TaskTemplate: Raw }>(spec: T, ids: ReadonlyMap<string, string>): T {
  const container = spec.TaskTemplate.ContainerSpec as Raw | undefined;
  if (!container || (!container.Configs && !container.Secrets)) return spec;
  const fill = (kind: SwarmObjectKind, list: unknown): Raw[] | undefined => {
    if (!Array.isArray(list)) return undefined;
    const [idKey, nameKey] = kind === 'config' ? ['ConfigID', 'ConfigName'] : ['SecretID', 'SecretName'];
    return (list as Raw[]).map((r) => {
      const id = ids.get(`${kind} ${String(r[nameKey])}`);
      // Key order as referenceBodies writes it, so a filled spec reads like a planned one.
      return id ? { File: r.File, [idKey]: id, [nameKey]: r[nameKey] } : r;
    });
  };
  const configs = fill('config', container.Configs);
  const secrets = fill('secret', container.Secrets);
  return { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...container, ...(configs ? { Configs: configs } : {}), ...(secrets ? { Secrets: secrets } : {}) } } };
}

/** "<kind> <name>" of every object a (live or planned) service spec references. */
export function referencedObjects(spec: { TaskTemplate?: unknown }): string[] {
  const task = spec.TaskTemplate as Raw | undefined;
  const container = task?.ContainerSpec as Raw | undefined;
  const names = (kind: SwarmObjectKind, list: unknown): string[] => (Array.isArray(list) ? (list as Raw[]).map((r) => `${kind} ${String(r[kind === 'config' ? 'ConfigName' : 'SecretName'])}`) : []);
  return [...names('config', container?.Configs), ...names('secret', container?.Secrets)];
}
