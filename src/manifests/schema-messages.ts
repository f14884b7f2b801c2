// ajv errors as sentences a person can act on: which key, what was expected, what was
// found, and how to write it, positioned at the offending key or value. ajv's own
// wording ("must NOT have additional properties", "must match pattern ^(...)$") names
// neither the key nor the fix.
import type { ErrorObject } from 'ajv';
import type { ManifestProblem } from './problems.js';
import type { YamlSource } from './yaml-source.js';
import { closest } from './suggest.js';

/** `build:` without `image:`: there is nothing Flotilla could deploy. */
export const BUILD_REFUSED = 'Flotilla deploys images and never builds them; build and push the image in CI, then reference it with `image:`';

/** Keys users commonly bring from Compose or Swarm that Flotilla refuses, with the reason. */
const UNSUPPORTED_COMPOSE_KEYS: Record<string, string> = {
  links: 'links are obsolete; services on one network reach each other by service name',
};

/** Swarm keys people put directly on a service instead of under `deploy:`. */
const DEPLOY_KEYS = new Set(['replicas', 'mode', 'placement', 'update_config', 'rollback_config', 'resources', 'restart_policy']);

interface SchemaNode {
  properties?: Record<string, unknown>;
  'x-hint'?: string;
}

export function schemaProblem(error: ErrorObject, source: YamlSource, compose: boolean): ManifestProblem {
  const path = segments(error.instancePath);
  const where = path.length ? `\`${displayPath(source.value, path)}\`` : 'the document';
  const parent = (error.parentSchema ?? {}) as SchemaNode;
  const hint = parent['x-hint'];
  const got = describeValue(error.data);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys(parent.properties ?? {});
      const suggestion = closest(key, known);
      const misplaced = compose && path.length === 2 && path[0] === 'services' && DEPLOY_KEYS.has(key);
      const reason = (compose ? UNSUPPORTED_COMPOSE_KEYS[key] : undefined)
        ?? (misplaced ? `\`${key}\` belongs under the service's \`deploy:\`` : undefined)
        ?? (suggestion ? `did you mean \`${suggestion}\`?` : known.length ? `supported keys here: ${known.join(', ')}` : 'no keys are supported here');
      return source.problem([...path, key], `unknown key \`${key}\` in ${where}: ${reason}`, 'key');
    }
    case 'propertyNames': {
      const name = String(params.propertyName);
      const what = compose && path.length === 1 && path[0] === 'services' ? 'service name' : 'name';
      return source.problem([...path, name], `invalid ${what} ${JSON.stringify(name)} in ${where}: use up to 63 letters, digits, '.', '-' or '_', starting with a letter or digit`, 'key');
    }
    case 'required':
      if (compose && params.missingProperty === 'image' && error.data && typeof error.data === 'object' && 'build' in error.data) {
        return source.problem([...path, 'build'], `\`build\` without \`image\` in ${where}: ${BUILD_REFUSED}`, 'key');
      }
      return source.problem(path, `${where} is missing the required key \`${String(params.missingProperty)}\``, path.length ? 'key' : 'value');
    case 'type': {
      const expected = String(params.type);
      return source.problem(path, `${where} must be ${article(expected)}, got ${got}${typeHint(expected, error.data, hint)}`);
    }
    case 'enum':
      return source.problem(path, `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`);
    case 'const':
      return source.problem(path, `${where} must be ${JSON.stringify(params.allowedValue)}, got ${got}${hint ? `; ${hint}` : ''}`);
    case 'pattern':
      return source.problem(path, `${where} has an invalid value ${got}${hint ? `: ${hint}` : ''}`);
    case 'minLength':
      return source.problem(path, params.limit === 1 ? `${where} must not be empty` : `${where} must be at least ${String(params.limit)} characters long`);
    case 'minItems':
      return source.problem(path, `${where} must list at least ${plural(params.limit, 'entry', 'entries')}`);
    case 'maxItems':
      return source.problem(path, `${where} lists more than ${plural(params.limit, 'entry', 'entries')}; split it up`);
    case 'minProperties':
      return source.problem(path, `${where} must declare at least ${plural(params.limit, 'entry', 'entries')}`);
    case 'minimum':
    case 'maximum':
      return source.problem(path, `${where} must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}, got ${String(error.data)}`);
    default:
      return source.problem(path, `${where} ${error.message ?? 'is invalid'}${hint ? `: ${hint}` : ''}`);
  }
}

export function segments(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `services.web.ports[0].target`: list indexes in brackets, as people write them. */
function displayPath(root: unknown, path: readonly string[]): string {
  let out = '';
  let node: unknown = root;
  for (const seg of path) {
    if (Array.isArray(node)) {
      out += `[${seg}]`;
      node = node[Number(seg)];
    } else {
      out += out === '' ? seg : `.${seg}`;
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function typeHint(expected: string, data: unknown, hint: string | undefined): string {
  if (typeof data === 'string' && /integer|number/.test(expected) && /^-?[0-9.]+$/.test(data)) return '; write the number without quotes';
  if (typeof data === 'string' && expected.includes('boolean') && /^(true|false)$/i.test(data)) return '; write true or false without quotes';
  if (expected.includes('boolean') && typeof data !== 'boolean') return '; write true or false';
  return hint ? `; ${hint}` : '';
}

function plural(n: unknown, one: string, many: string): string {
  return `${String(n)} ${n === 1 ? one : many}`;
}

function article(type: string): string {
  return type
    .split(',')
    .map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : t === 'null' ? 'empty' : `a ${t}`))
    .join(' or ');
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? text.slice(0, 37) + '...' : text}`;
}
