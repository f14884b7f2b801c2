// The field diff of a service update, for plans and PR comments: for each dotted path that
// differs (spec-compare.ts), what the live spec holds and what Git wants. Environment
// variables are diffed one by one, so a reviewer sees `GEN: 1 -> 2` rather than two long
// lists; values of encrypted (sealed) variables are never shown, only that they change.
import { LABEL } from '../../docker/labels.js';
import type { FieldChange } from '../engine.js';
import type { SwarmServiceSpec } from './swarm-types.js';

const ENV_PATH = 'TaskTemplate.ContainerSpec.Env';
const MAX_VALUE = 120;
const NONE = '(none)';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function fieldChanges(paths: readonly string[], want: SwarmServiceSpec, have: SwarmServiceSpec): FieldChange[] {
  const sealed = new Set([...sealedKeys(want), ...sealedKeys(have)]);
  return paths.flatMap((path): FieldChange[] => {
    const from = valueAt(have, path);
    const to = valueAt(want, path);
    if (path === ENV_PATH) return envChanges(from, to, sealed);
    return [{ field: path, from: show(from), to: show(to) }];
  });
}

/** Label keys hold dots too (`Labels.flotilla.spec-hash`): a segment that is not a key joins the next. */
function valueAt(root: unknown, path: string): unknown {
  const walk = (v: unknown, segments: string[]): unknown => {
    if (segments.length === 0) return v;
    if (!isRecord(v)) return undefined;
    for (let i = segments.length; i >= 1; i--) {
      const key = segments.slice(0, i).join('.');
      if (key in v) return walk(v[key], segments.slice(i));
    }
    return undefined;
  };
  return walk(root, path.split('.'));
}

function envChanges(from: unknown, to: unknown, sealed: ReadonlySet<string>): FieldChange[] {
  const before = envMap(from);
  const after = envMap(to);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: FieldChange[] = [];
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (a === b) continue;
    const secret = sealed.has(name);
    const shown = (v: string | undefined, changed: boolean): string => (v === undefined ? NONE : secret ? (changed ? '(sealed, new value)' : '(sealed)') : clip(v));
    out.push({ field: `${ENV_PATH}.${name}`, from: shown(a, false), to: shown(b, a !== undefined) });
  }
  return out;
}

function envMap(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of Array.isArray(v) ? v : []) {
    if (typeof entry !== 'string') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) out.set(entry, '');
    else out.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return out;
}

function sealedKeys(spec: SwarmServiceSpec): string[] {
  const label = spec.Labels?.[LABEL.sealedEnv];
  if (!label) return [];
  try {
    const parsed: unknown = JSON.parse(label);
    return isRecord(parsed) ? Object.keys(parsed) : [];
  } catch {
    return [];
  }
}

function show(v: unknown): string {
  if (v === undefined || v === null) return NONE;
  if (typeof v === 'string') return clip(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return clip(JSON.stringify(v));
}

function clip(s: string): string {
  const flat = s.replace(/\r?\n/g, '\\n');
  return flat.length <= MAX_VALUE ? flat : `${flat.slice(0, MAX_VALUE - 1)}…`;
}
