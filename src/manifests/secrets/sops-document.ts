// A SOPS-encrypted file read into an ordered tree plus its `sops` metadata, for the three
// formats Flux users commit: YAML, JSON and dotenv. Key order matters (the MAC is a hash of
// the values in document order), so maps are kept as Map, never as plain objects.
import { parseDocument } from 'yaml';

export type SopsFormat = 'yaml' | 'json' | 'dotenv';
export type SopsTree = Map<string, SopsNode>;
export type SopsNode = SopsTree | SopsNode[] | string | number | boolean | null;

export interface AgeStanza {
  recipient: string;
  enc: string;
}

export interface SopsMetadata {
  age: AgeStanza[];
  /** Key services other than age (pgp, kms, ...) this file also names, for messages. */
  otherKeyServices: string[];
  lastModified: string;
  mac: string;
  macOnlyEncrypted: boolean;
  /** SOPS's rules for which keys hold clear values (only one is ever set). */
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
}

export interface SopsDocument {
  format: SopsFormat;
  tree: SopsTree;
  metadata: SopsMetadata;
}

export class SopsStructureError extends Error {
  readonly code = 'SOPS_STRUCTURE';
}

/** Cheap test before any parsing: does this look like a SOPS file at all? */
export function looksLikeSops(text: string): SopsFormat | undefined {
  if (/^sops_(mac|version)=/m.test(text)) return 'dotenv';
  if (/^\s*\{/.test(text) && /"sops"\s*:/.test(text)) return 'json';
  if (/^sops:\s*$/m.test(text)) return 'yaml';
  return undefined;
}

export function parseSopsDocument(text: string, format: SopsFormat): SopsDocument {
  const { tree, meta } = format === 'dotenv' ? readDotenvTree(text) : readYamlTree(text);
  return { format, tree, metadata: readMetadata(meta) };
}

function readYamlTree(text: string): { tree: SopsTree; meta: unknown } {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new SopsStructureError(`not valid YAML/JSON (${doc.errors[0]?.message.split('\n')[0]})`);
  const value: unknown = doc.toJS({ mapAsMap: true, maxAliasCount: 0 });
  if (!(value instanceof Map)) throw new SopsStructureError('the top level is not a mapping');
  const tree = new Map<string, SopsNode>();
  for (const [k, v] of value as Map<unknown, unknown>) if (k !== 'sops') tree.set(String(k), toNode(v));
  return { tree, meta: (value as Map<unknown, unknown>).get('sops') };
}

function toNode(v: unknown): SopsNode {
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [String(k), toNode(x)]));
  if (Array.isArray(v)) return v.map(toNode);
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return String(v);
}

// SOPS writes dotenv metadata flattened: sops_age__list_0__map_enc=..., with newlines as `\n`.
function readDotenvTree(text: string): { tree: SopsTree; meta: unknown } {
  const tree = new Map<string, SopsNode>();
  const meta = new Map<string, unknown>();
  const age: Array<Map<string, unknown>> = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new SopsStructureError('a line is not KEY=VALUE');
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1).replace(/\\n/g, '\n');
    if (!key.startsWith('sops_')) {
      tree.set(key, value);
      continue;
    }
    const list = /^sops_(\w+?)__list_(\d+)__map_(\w+)$/.exec(key);
    if (list) {
      if (list[1] === 'age') ((age[Number(list[2])] ??= new Map()) as Map<string, unknown>).set(list[3] as string, value);
      else meta.set(list[1] as string, true);
      continue;
    }
    meta.set(key.slice('sops_'.length), value === 'true' ? true : value);
  }
  meta.set('age', age.filter(Boolean));
  return { tree, meta };
}

function readMetadata(meta: unknown): SopsMetadata {
  if (!(meta instanceof Map)) throw new SopsStructureError('it has no `sops` metadata mapping');
  const m = meta as Map<string, unknown>;
  const str = (key: string): string => {
    const v = m.get(key);
    if (typeof v !== 'string' || v === '') throw new SopsStructureError(`its sops metadata has no \`${key}\``);
    return v;
  };
  const ageList = m.get('age');
  const age: AgeStanza[] = [];
  if (Array.isArray(ageList)) {
    for (const entry of ageList) {
      const e = entry instanceof Map ? (entry as Map<string, unknown>) : undefined;
      const recipient = e?.get('recipient');
      const enc = e?.get('enc');
      if (typeof recipient !== 'string' || typeof enc !== 'string') throw new SopsStructureError('an age entry of its sops metadata lacks `recipient` or `enc`');
      age.push({ recipient, enc });
    }
  }
  const otherKeyServices = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault'].filter((k) => {
    const v = m.get(k);
    return v === true || (Array.isArray(v) && v.length > 0);
  });
  const opt = (key: string): Record<string, string> => (typeof m.get(key) === 'string' && m.get(key) !== '' ? { [camel(key)]: m.get(key) as string } : {});
  return {
    age, otherKeyServices, lastModified: str('lastmodified'), mac: str('mac'), macOnlyEncrypted: m.get('mac_only_encrypted') === true,
    ...opt('unencrypted_suffix'), ...opt('encrypted_suffix'), ...opt('unencrypted_regex'), ...opt('encrypted_regex'),
  };
}

function camel(key: string): string {
  return key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
}
