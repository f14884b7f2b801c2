// cluster.yaml, schema-checked, as a ClusterSpec with defaults, plus the checks a schema
// cannot express (duplicate node and stack names, credentials written into notifications). Works on a partially invalid document
// so that one commit's stack errors are still reported alongside its cluster errors.
import type { AdmissionPolicy, ClusterSpec, NodeSpec, NotificationSpec, StackRef, SyncPolicy } from './model.js';
import type { ManifestProblem } from './problems.js';
import { notificationOptionProblems } from '../notify/check-options.js';
import { normalizeRegistries } from './registry-specs.js';
import type { YamlSource } from './yaml-source.js';

type Raw = Record<string, unknown>;

export const DEFAULT_SYNC: SyncPolicy = { prune: true, selfHeal: true, revert: true };
export const DEFAULT_POLICY: AdmissionPolicy = { allowPrivileged: false, allowHostNetwork: false, allowBindMounts: [] };

const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `warnings`: what does not stop the commit (an incomplete notification) but CI should show. */
export function normalizeCluster(source: YamlSource, problems: ManifestProblem[], warnings: ManifestProblem[] = []): ClusterSpec {
  const root = isRecord(source.value) ? source.value : {};
  const spec = isRecord(root.spec) ? root.spec : {};
  const metadata = isRecord(root.metadata) ? root.metadata : {};

  const engine = spec.engine === 'swarm' ? 'swarm' : 'hosts';
  // A Swarm node is reached through a manager, so it needs no endpoint of its own.
  const nodes: NodeSpec[] = (Array.isArray(spec.nodes) ? spec.nodes : []).filter(isRecord).filter((n) => typeof n.name === 'string' && (typeof n.endpoint === 'string' || engine === 'swarm')).map((n) => ({
    name: n.name as string,
    endpoint: typeof n.endpoint === 'string' ? n.endpoint : '',
    ...(isRecord(n.tls) ? { tls: n.tls as NodeSpec['tls'] } : {}),
    labels: Object.fromEntries(Object.entries(isRecord(n.labels) ? n.labels : {}).map(([k, v]) => [k, String(v)])),
    ...(typeof n.address === 'string' ? { address: n.address } : {}),
  }));
  const stacks: StackRef[] = (Array.isArray(spec.stacks) ? spec.stacks : []).filter(isRecord).filter((s) => typeof s.name === 'string' && typeof s.compose === 'string').map((s) => ({
    name: s.name as string,
    compose: s.compose as string,
    ...(Array.isArray(s.profiles) ? { profiles: s.profiles.map(String) } : {}),
  }));

  reportDuplicates(source, problems, spec.nodes, 'node');
  checkEndpoints(source, problems, spec.nodes);
  const swarm = checkEngine(source, problems, engine, spec);
  reportDuplicates(source, problems, spec.stacks, 'stack');
  reportDuplicates(source, problems, spec.notifications, 'notification');
  const notifications = (Array.isArray(spec.notifications) ? spec.notifications : []).map((n) => (isRecord(n) ? toNotification(n) : undefined));
  checkNotifications(source, problems, warnings, notifications);
  const registries = normalizeRegistries(source, problems, spec.registries);

  const sync = isRecord(spec.sync) ? spec.sync : {};
  const policy = isRecord(spec.policy) ? spec.policy : {};
  return {
    name: typeof metadata.name === 'string' ? metadata.name : 'unnamed',
    file: source.file,
    ...(engine === 'swarm' ? { engine, swarm } : {}),
    nodes,
    stacks,
    sync: {
      prune: typeof sync.prune === 'boolean' ? sync.prune : DEFAULT_SYNC.prune,
      selfHeal: typeof sync.selfHeal === 'boolean' ? sync.selfHeal : DEFAULT_SYNC.selfHeal,
      revert: typeof sync.revert === 'boolean' ? sync.revert : DEFAULT_SYNC.revert,
      ...(isRecord(sync.verifySignatures) && Array.isArray(sync.verifySignatures.keys) ? { verifySignatures: { keys: sync.verifySignatures.keys.filter((k): k is string => typeof k === 'string') } } : {}),
    },
    policy: {
      allowPrivileged: policy.allowPrivileged === true,
      allowHostNetwork: policy.allowHostNetwork === true,
      allowBindMounts: Array.isArray(policy.allowBindMounts) ? policy.allowBindMounts.filter((p): p is string => typeof p === 'string') : [],
      ...(policy.allowDevices === true ? { allowDevices: true } : {}),
      ...(policy.allowSecurityOpt === true ? { allowSecurityOpt: true } : {}),
      ...(policy.allowHostNamespaces === true ? { allowHostNamespaces: true } : {}),
      ...(policy.allowCgroupParent === true ? { allowCgroupParent: true } : {}),
    },
    notifications: notifications.filter((n): n is NotificationSpec => n !== undefined),
    registries,
  };
}

function toNotification(raw: Raw): NotificationSpec {
  const { name, provider, events, ...options } = raw;
  return {
    name: String(name),
    provider: provider as NotificationSpec['provider'],
    events: Array.isArray(events) ? (events as NotificationSpec['events']) : ['deployed', 'failed', 'reverted', 'drift', 'validation_failed', 'node_down', 'untrusted'],
    options,
  };
}

/**
 * A credential pasted into Git (a Slack URL, a token, a webhook URL with a password) is
 * refused like any policy violation, so the config repo's CI catches it before merge. A
 * notification that is merely incomplete is not an error: it never holds up a deploy.
 */
function checkNotifications(source: YamlSource, problems: ManifestProblem[], warnings: ManifestProblem[], list: Array<NotificationSpec | undefined>): void {
  list.forEach((spec, i) => {
    if (spec === undefined) return;
    for (const p of notificationOptionProblems(spec)) {
      const found = source.problem(['spec', 'notifications', i, ...(p.key !== undefined ? [p.key] : [])], p.message);
      (p.severity === 'credential' ? problems : warnings).push(found);
    }
  });
}

/** Plain hosts need an endpoint per node; a swarm needs a manager to talk to. */
function checkEngine(source: YamlSource, problems: ManifestProblem[], engine: ClusterSpec['engine'], spec: Raw): ClusterSpec['swarm'] {
  if (engine === 'hosts') {
    (Array.isArray(spec.nodes) ? spec.nodes : []).forEach((node, i) => {
      if (isRecord(node) && node.endpoint === undefined) problems.push(source.problem(['spec', 'nodes', i], `node "${String(node.name)}" has no endpoint; with engine hosts every node names its Docker endpoint (unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host)`, 'key'));
    });
    if (spec.swarm !== undefined) problems.push(source.problem(['spec', 'swarm'], 'spec.swarm applies only to engine: swarm; set spec.engine: swarm or remove spec.swarm', 'key'));
    return undefined;
  }
  const managers = isRecord(spec.swarm) && Array.isArray(spec.swarm.manager) ? spec.swarm.manager.filter((m): m is string => typeof m === 'string') : [];
  if (!isRecord(spec.swarm)) problems.push(source.problem(['spec', 'engine'], 'engine: swarm needs spec.swarm.manager, the Engine API endpoints of one or more Swarm managers', 'key'));
  return { managers };
}

function reportDuplicates(source: YamlSource, problems: ManifestProblem[], list: unknown, what: string): void {
  if (!Array.isArray(list)) return;
  const first = new Map<string, number>();
  list.forEach((item, i) => {
    if (!isRecord(item) || typeof item.name !== 'string') return;
    const earlier = first.get(item.name);
    if (earlier === undefined) {
      first.set(item.name, i);
      return;
    }
    const line = source.locate(['spec', `${what}s`, earlier, 'name']).line;
    problems.push(source.problem(['spec', `${what}s`, i, 'name'], `duplicate ${what} name "${item.name}" (first declared on line ${line}); ${what} names must be unique`));
  });
}

/**
 * Two nodes on one Docker endpoint would both "own" its containers and fight over them;
 * TLS files on a unix:// or ssh:// endpoint would be silently ignored.
 */
function checkEndpoints(source: YamlSource, problems: ManifestProblem[], list: unknown): void {
  if (!Array.isArray(list)) return;
  const first = new Map<string, string>();
  list.forEach((node, i) => {
    if (!isRecord(node) || typeof node.endpoint !== 'string') return;
    const owner = first.get(node.endpoint);
    if (owner !== undefined) {
      problems.push(source.problem(['spec', 'nodes', i, 'endpoint'], `node "${String(node.name)}" has the same endpoint as node "${owner}"; each node must be a different Docker engine`));
    } else {
      first.set(node.endpoint, String(node.name));
    }
    if (node.tls !== undefined && !node.endpoint.startsWith('tcp://')) {
      problems.push(source.problem(['spec', 'nodes', i, 'tls'], `tls applies only to tcp:// endpoints; remove it from node "${String(node.name)}" or use a tcp:// endpoint`, 'key'));
    }
  });
}
