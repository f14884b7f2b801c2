// JSON Schema validation of cluster.yaml and Compose files. The schemas are compiled once
// per process; each ajv error becomes one positioned problem (see schema-messages.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageRoot } from '../package-root.js';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';
import { schemaProblem } from './schema-messages.js';

export type SchemaName = 'cluster' | 'compose';

const MAX_ERRORS_PER_FILE = 50;
const compiled = new Map<SchemaName, ValidateFunction>();

function validatorFor(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    // allErrors reports every problem of a commit at once; inputs are size-capped before this.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addVocabulary(['x-hint']);
    const schema: unknown = JSON.parse(readFileSync(join(packageRoot(), 'schemas', `${name}.schema.json`), 'utf8'));
    validate = ajv.compile(schema as object);
    compiled.set(name, validate);
  }
  return validate;
}

/** Validates `source.value`; pushes one problem per distinct error. Returns true when valid. */
export function validateAgainstSchema(name: SchemaName, source: YamlSource, problems: ManifestProblem[]): boolean {
  const validate = validatorFor(name);
  if (validate(source.value)) return true;
  const seen = new Set<string>();
  let count = 0;
  for (const error of condense(validate.errors ?? [])) {
    const problem = schemaProblem(error, source, name === 'compose');
    const key = `${problem.pointer}|${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (++count > MAX_ERRORS_PER_FILE) {
      problems.push({ ...problem, message: `more than ${MAX_ERRORS_PER_FILE} schema errors in this file; fix these first` });
      break;
    }
    problems.push(problem);
  }
  return false;
}

/**
 * Drops ajv's wrappers that repeat an error already reported in detail: the "must match
 * then schema" of if/then, and the inner `pattern` error of `propertyNames` (its
 * `propertyNames` error names the key and is reported instead).
 */
function condense(errors: ErrorObject[]): ErrorObject[] {
  return errors.filter((e) => e.keyword !== 'if' && e.propertyName === undefined);
}
