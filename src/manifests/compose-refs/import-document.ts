// Brings what an included project declares (services, networks, volumes, configs,
// secrets) into the including document. Compose does not merge a resource that both
// declare; Flotilla refuses the conflict at the `include` entry (a warning is easy to miss
// in a deploy), unless both declarations are the same.
import { isDeepStrictEqual } from 'node:util';
import type { ManifestProblem } from '../problems.js';
import type { JsonPath, YamlSource } from '../yaml-source.js';
import type { Located } from './origin-tree.js';

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const SECTIONS = ['services', 'networks', 'volumes', 'configs', 'secrets'] as const;
const SINGULAR: Record<(typeof SECTIONS)[number], string> = { services: 'service', networks: 'network', volumes: 'volume', configs: 'config', secrets: 'secret' };

export interface IncludeSite {
  source: YamlSource;
  path: JsonPath;
  /** The included file(s), for the message. */
  file: string;
}

export function importDocument(into: Located, included: Located, site: IncludeSite, problems: ManifestProblem[]): void {
  const target = into.value as Raw;
  const from = included.value as Raw;
  for (const section of SECTIONS) {
    const entries = from[section];
    if (!isRecord(entries)) continue;
    if (target[section] === undefined || target[section] === null) target[section] = {};
    const existing = target[section];
    if (!isRecord(existing)) continue; // the schema reports the malformed section
    const sectionTree = into.tree.ensure(section);
    const includedTree = included.tree.child(section);
    for (const [name, def] of Object.entries(entries)) {
      if (Object.prototype.hasOwnProperty.call(existing, name)) {
        if (isDeepStrictEqual(existing[name], def)) continue;
        problems.push(site.source.problem(site.path, `the ${SINGULAR[section]} "${name}" of ${site.file} conflicts with the ${SINGULAR[section]} "${name}" already declared for this stack; Compose does not merge included resources, so rename one of them`));
        continue;
      }
      existing[name] = def;
      sectionTree.set(name, includedTree.child(name));
    }
  }
}
