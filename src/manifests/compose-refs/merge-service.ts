// Docker Compose's merge rules, for `extends` (the local service over its base) and for an
// `include` entry of several files: mappings merge key by key, the override winning;
// sequences append, scalar items only once (`dns`, `expose`, `cap_add`, ...); `command`,
// `entrypoint` and `healthcheck.test` are replaced whole; `ports`, `volumes`, `secrets`
// and `configs` merge the entries that share their unique key (port address, target);
// list-or-map keys (`environment`, `labels`, `depends_on`, `networks`, ...) merge as
// mappings whichever form each side is written in. Pure, and keeps where each part of
// the result was written (OriginTree).
import { parsePort } from '../ports.js';
import { OriginTree, type Located } from './origin-tree.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Replaced whole by the overriding side, as Compose does with shell commands. */
const REPLACED = new Set(['command', 'entrypoint']);
/** Written as a list (`KEY=value`, names) or a mapping; merged as mappings. */
const LIST_OR_MAP: Record<string, (item: unknown) => [string, unknown]> = {
  environment: splitAt('='),
  labels: splitAt('='),
  annotations: splitAt('='),
  sysctls: splitAt('='),
  extra_hosts: (item) => {
    const text = String(item);
    const at = text.includes('=') ? text.indexOf('=') : text.indexOf(':');
    return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
  },
  depends_on: (item) => [String(item), { condition: 'service_started' }],
  networks: (item) => [String(item), null],
};
/** The key that makes two entries of these sequences the same entry. */
const UNIQUE_BY: Record<string, (item: unknown) => string> = {
  ports: portKey,
  volumes: volumeTarget,
  secrets: (item) => fileTarget(item, '/run/secrets/'),
  configs: (item) => fileTarget(item, '/'),
};
/** Keys that are a string or a list of strings in Compose; merged as lists. */
const STRING_OR_LIST = new Set(['dns', 'dns_search', 'dns_opt', 'env_file', 'tmpfs', 'profiles']);

/** `over` (the local service) merged onto `base` (the service it extends). */
export function mergeService(base: Located, over: Located): Located {
  return mergeMapping(base, over, (key, b, o) => {
    if (REPLACED.has(key)) return o;
    if (key === 'healthcheck') return mergeMapping(b, o, (inner, hb, ho) => (inner === 'test' ? ho : mergeValue(hb, ho)));
    const listOrMap = LIST_OR_MAP[key];
    if (listOrMap) return mergeMapping(asMapping(b, listOrMap), asMapping(o, listOrMap), (_k, eb, eo) => mergeValue(eb, eo));
    const unique = UNIQUE_BY[key];
    if (unique && Array.isArray(b.value) && Array.isArray(o.value)) return mergeUnique(b, o, unique);
    if (STRING_OR_LIST.has(key)) return mergeValue(asList(b), asList(o));
    return mergeValue(b, o);
  });
}

/** The generic rule: mappings merge, sequences append (scalars once), anything else is replaced. */
export function mergeValue(base: Located, over: Located): Located {
  if (isRecord(base.value) && isRecord(over.value)) return mergeMapping(base, over, (_k, b, o) => mergeValue(b, o));
  if (Array.isArray(base.value) && Array.isArray(over.value)) return appendSequence(base, over);
  // `networks: { front: }` over `front: { aliases: [...] }`: an empty entry adds nothing.
  if (over.value === null && isRecord(base.value)) return base;
  return over;
}

/** Two whole documents (the files of one `include` entry): services by the service rules, the rest generically. */
export function mergeDocument(base: Located, over: Located): Located {
  return mergeMapping(base, over, (key, b, o) => (key === 'services' ? mergeMapping(b, o, (_name, sb, so) => mergeService(sb, so)) : mergeValue(b, o)));
}

function mergeMapping(base: Located, over: Located, mergeKey: (key: string, base: Located, over: Located) => Located): Located {
  if (!isRecord(base.value) || !isRecord(over.value)) return over.value === undefined || over.value === null ? base : over;
  const value: Raw = {};
  const tree = new OriginTree(over.tree.origin);
  for (const [key, b] of Object.entries(base.value)) {
    value[key] = b;
    tree.set(key, base.tree.child(key));
  }
  for (const [key, o] of Object.entries(over.value)) {
    const merged = Object.prototype.hasOwnProperty.call(base.value, key)
      ? mergeKey(key, { value: base.value[key], tree: base.tree.child(key) }, { value: o, tree: over.tree.child(key) })
      : { value: o, tree: over.tree.child(key) };
    value[key] = merged.value;
    tree.set(key, merged.tree);
  }
  return { value, tree };
}

function appendSequence(base: Located, over: Located): Located {
  const items: Located[] = itemsOf(base);
  const seen = new Set(items.map((i) => scalarKey(i.value)).filter((k): k is string => k !== undefined));
  for (const item of itemsOf(over)) {
    const key = scalarKey(item.value);
    if (key !== undefined && seen.has(key)) continue;
    if (key !== undefined) seen.add(key);
    items.push(item);
  }
  return fromItems(items, over);
}

function mergeUnique(base: Located, over: Located, keyOf: (item: unknown) => string): Located {
  const items: Located[] = itemsOf(base);
  const index = new Map(items.map((item, i) => [keyOf(item.value), i]));
  for (const item of itemsOf(over)) {
    const key = keyOf(item.value);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, items.length);
      items.push(item);
    } else {
      items[at] = mergeValue(items[at] as Located, item);
    }
  }
  return fromItems(items, over);
}

function itemsOf(list: Located): Located[] {
  return (list.value as unknown[]).map((value, i) => ({ value, tree: list.tree.child(i) }));
}

function fromItems(items: Located[], over: Located): Located {
  const tree = new OriginTree(over.tree.origin);
  items.forEach((item, i) => tree.set(i, item.tree));
  return { value: items.map((i) => i.value), tree };
}

function asMapping(side: Located, split: (item: unknown) => [string, unknown]): Located {
  if (!Array.isArray(side.value)) return side;
  const value: Raw = {};
  const tree = new OriginTree(side.tree.origin);
  side.value.forEach((item, i) => {
    const [key, entry] = split(item);
    value[key] = entry;
    tree.set(key, side.tree.child(i));
  });
  return { value, tree };
}

function asList(side: Located): Located {
  if (Array.isArray(side.value) || side.value === undefined || side.value === null) return side;
  const tree = new OriginTree(side.tree.origin);
  // The one scalar is the list's only item, written where the scalar was.
  tree.set(0, new OriginTree(side.tree.origin));
  return { value: [side.value], tree };
}

function splitAt(separator: string): (item: unknown) => [string, unknown] {
  return (item) => {
    const text = String(item);
    const at = text.indexOf(separator);
    return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
  };
}

function scalarKey(value: unknown): string | undefined {
  return value === null || typeof value !== 'object' ? JSON.stringify(value) : undefined;
}

/** Compose's unique key of a port: host address, target, published port and protocol. */
function portKey(item: unknown): string {
  const parsed = parsePort(item);
  if (!parsed.ok) return JSON.stringify(item);
  return parsed.ports.map((p) => `${p.hostIp ?? ''}|${p.target}|${p.published ?? ''}|${p.protocol}`).join(',');
}

function volumeTarget(item: unknown): string {
  if (typeof item === 'string') {
    const parts = item.split(':');
    return parts.length === 1 ? item : (parts[1] as string);
  }
  return isRecord(item) ? String(item.target) : JSON.stringify(item);
}

/** A secret's or config's target path, defaulted as Compose does from its source name. */
function fileTarget(item: unknown, dir: string): string {
  if (typeof item === 'string') return dir + item;
  if (!isRecord(item)) return JSON.stringify(item);
  const target = typeof item.target === 'string' ? item.target : String(item.source);
  return target.startsWith('/') ? target : dir + target;
}
