// JSON Schema validation of cluster.yaml and Compose files. The schemas are compiled once
// per process; ajv errors are turned into sentences a person can act on, positioned at
// the offending key or value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { packageRoot } from '../package-root.js';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';

export type SchemaName = 'cluster' | 'compose';

/** Keys users commonly bring from Compose or Swarm that Flotilla refuses, with the reason. */
const UNSUPPORTED_HINTS: Record<string, string> = {
  build: 'Flotilla deploys images and never builds them; build and push the image in CI, then reference it with `image:`',
  container_name: 'Flotilla names containers <stack>-<service>-<slot> itself so it can run replicas',
  links: 'links are obsolete; services on one network reach each other by service name',
  secrets: 'secrets are not supported yet; mount a file from an allowed bind-mount path instead',
  configs: 'configs are not supported yet; mount a file from an allowed bind-mount path instead',
};

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
    const problem = toProblem(error, source);
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

/** Drops the noise ajv adds around if/then (the "must match then schema" wrapper). */
function condense(errors: ErrorObject[]): ErrorObject[] {
  return errors.filter((e) => e.keyword !== 'if');
}

function segments(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function toProblem(error: ErrorObject, source: YamlSource): ManifestProblem {
  const path = segments(error.instancePath);
  const where = path.length ? `\`${path.join('.')}\`` : 'the document';
  const hint = (error.parentSchema as { 'x-hint'?: string } | undefined)?.['x-hint'];
  const got = describeValue(error.data);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const reason = UNSUPPORTED_HINTS[key] ?? (known.length ? `supported keys here: ${known.join(', ')}` : 'no keys are supported here');
      return source.problem([...path, key], `unknown key \`${key}\` in ${where}: ${reason}`, 'key');
    }
    case 'required': {
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      return source.problem(path, `${where} is missing the required key \`${missing}\``, path.length ? 'key' : 'value');
    }
    case 'type':
      return source.problem(path, `${where} must be ${article((error.params as { type: string | string[] }).type)}, got ${got}`);
    case 'enum':
      return source.problem(path, `${where} must be one of ${((error.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`);
    case 'const':
      return source.problem(path, `${where} must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}, got ${got}${hint ? `; ${hint}` : ''}`);
    case 'pattern':
      return source.problem(path, `${where} has an invalid value ${got}${hint ? `: ${hint}` : ''}`);
    case 'propertyNames':
      return source.problem(path, `${where} has an invalid name: names are letters, digits, '.', '-' or '_'`);
    default:
      return source.problem(path, `${where} ${error.message ?? 'is invalid'}${hint ? `: ${hint}` : ''}`);
  }
}

function article(type: string | string[]): string {
  const names = (Array.isArray(type) ? type : String(type).split(',')).map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`));
  return names.join(' or ');
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? text.slice(0, 37) + '...' : text}`;
}
