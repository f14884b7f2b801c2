// The plan as `flotilla plan --format json` prints it. Create and update bodies carry each
// container's environment as Docker takes it, so the values of encrypted env files are in
// them in clear; printed, they would land in CI logs. Every body or spec labelled
// `flotilla.sealed-env` names those variables, and their values print as <sealed> below it,
// as the text and Markdown plans already show them. File content (a Swarm config or secret
// to create) prints as its size only: a config may hold a value of an encrypted .env.
import { LABEL } from '../../docker/labels.js';

export const SEALED_VALUE = '<sealed>';

export function planJson(plan: unknown): string {
  return JSON.stringify(sealEnvironment(plan, new Set()), null, 2);
}

function sealEnvironment(value: unknown, sealed: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => sealEnvironment(v, sealed));
  if (value === null || typeof value !== 'object') return value;
  // Values that serialize themselves (SecretBytes prints a placeholder) are left to do so.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const object = value as Record<string, unknown>;
  const names = new Set([...sealed, ...sealedNames(object.Labels)]);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(object)) {
    if (key === 'Env' && Array.isArray(v)) out[key] = v.map((entry) => sealEntry(entry, names));
    else if (key === 'content' && isBase64Content(v)) out[key] = `<${Buffer.from(v.base64, 'base64').length} bytes>`;
    else out[key] = sealEnvironment(v, names);
  }
  return out;
}

function isBase64Content(v: unknown): v is { base64: string } {
  return v !== null && typeof v === 'object' && typeof (v as { base64?: unknown }).base64 === 'string';
}

function sealedNames(labels: unknown): string[] {
  const label = labels !== null && typeof labels === 'object' ? (labels as Record<string, unknown>)[LABEL.sealedEnv] : undefined;
  if (typeof label !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(label);
    return parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : [];
  } catch {
    return [];
  }
}

function sealEntry(entry: unknown, names: ReadonlySet<string>): unknown {
  if (typeof entry !== 'string') return entry;
  const eq = entry.indexOf('=');
  const name = eq === -1 ? entry : entry.slice(0, eq);
  return names.has(name) ? `${name}=${SEALED_VALUE}` : entry;
}
