// Loads one revision of a config repo into a DesiredState, collecting every problem of the
// commit instead of stopping at the first. A result with problems must never be applied.
import { posix } from 'node:path';
import type { ClusterSpec, DesiredState, StackRef } from './model.js';
import type { ManifestProblem } from './problems.js';
import { sortProblems } from './problems.js';
import type { RepoReader } from './repo-reader.js';
import { RepoFileRefused, repoPath } from './repo-reader.js';
import { oversize, parseYamlSource, type YamlSource } from './yaml-source.js';
import { validateAgainstSchema } from './schemas.js';
import { normalizeCluster } from './normalize-cluster.js';
import { normalizeStack } from './normalize-stack.js';
import { inlineCredentialProblems } from './inline-credentials.js';
import { interpolateDocument } from './interpolate-document.js';
import { parseDotenv } from './dotenv.js';
import { decodeUtf8 } from './utf8.js';
import { checkPlacement } from './placement-checks.js';
import { checkSwarmKeys } from './swarm-keys.js';
import { swarmDependencyWarnings } from './dependency-conditions.js';
import { checkAcrossStacks, type LoadedStack } from './cross-stack-checks.js';
import { readStackFiles } from './stack-files.js';
import { resolveComposeReferences } from './compose-refs/resolve.js';
import { fallbackDigestKey } from './file-digest.js';
import type { AgeKeyring } from './secrets/age-identities.js';
import { LOCKED_VALUE_PLACEHOLDER, LockedVariables, openRepoFile, type EncryptedFileContext } from './secrets/open-repo-file.js';
import { addSecretValues, envFromStructured, sealedEnvironment, secretOutsideEnvironment } from './secrets/sealed-env.js';

export interface LoadOptions {
  /** The cluster's key for secret digests (the daemon's state dir); without it a public fallback (file-digest.ts). */
  digestKey?: Buffer;
  /** The controller's age identities, for files committed encrypted (SOPS or age). */
  ageKeys?: AgeKeyring;
  /** Set where the values will be deployed (run, apply): an encrypted file that cannot be opened is then an error, not a warning. */
  requireAgeKeys?: boolean;
  /** Told every clear value read from an encrypted file, so the log scrubber can hide it should it ever appear in a message. */
  onSecretValue?: (value: string) => void;
}

export interface LoadResult {
  /** Present only when there are no problems. */
  state?: DesiredState;
  problems: ManifestProblem[];
  /** What does not make the commit invalid but a person should fix (positioned like problems). */
  warnings?: ManifestProblem[];
  /** The cluster directory that was loaded (resolved when not given). */
  clusterPath: string;
}

/**
 * `clusterPath` is the cluster's directory (`clusters/production`); when omitted and the
 * repo has exactly one cluster, that one is used.
 */
export async function loadDesiredState(reader: RepoReader, clusterPath?: string, options: LoadOptions = {}): Promise<LoadResult> {
  try {
    return await loadRevision(reader, clusterPath, options);
  } catch (err) {
    // A refused file ends the load with that one problem: it is hostile or a mistake, and
    // what else the commit says does not matter until it is gone.
    if (!(err instanceof RepoFileRefused)) throw err;
    return { problems: [{ file: err.file, line: 1, col: 1, pointer: '', message: err.message }], clusterPath: clusterPath ?? 'clusters' };
  }
}

async function loadRevision(reader: RepoReader, clusterPath: string | undefined, options: LoadOptions): Promise<LoadResult> {
  const problems: ManifestProblem[] = [];
  const resolved = await resolveClusterPath(reader, clusterPath, problems);
  if (resolved === undefined) return { problems, clusterPath: clusterPath ?? 'clusters' };
  const clusterFile = posix.join(resolved, 'cluster.yaml');
  const clusterSource = await readYaml(reader, clusterFile, problems, `the cluster file ${clusterFile} does not exist at this revision; --path should name a directory holding cluster.yaml`);
  if (!clusterSource) return { problems, clusterPath: resolved };

  validateAgainstSchema('cluster', clusterSource, problems);
  const warnings: ManifestProblem[] = [];
  const cluster = normalizeCluster(clusterSource, problems, warnings);
  const loaded: LoadedStack[] = [];
  await Promise.all(
    cluster.stacks.map(async (ref, index) => {
      const encrypted: EncryptedFileContext = { ...(options.ageKeys ? { keyring: options.ageKeys } : {}), requireKeys: options.requireAgeKeys === true, problems, warnings, ...(options.onSecretValue ? { onSecretValue: options.onSecretValue } : {}) };
      const stack = await loadStack(reader, cluster, ref, index, clusterSource, problems, warnings, options.digestKey ?? fallbackDigestKey(cluster.name), encrypted);
      if (stack) loaded[index] = stack;
    }),
  );
  const stacks = loaded.filter(Boolean);
  checkAcrossStacks(stacks, problems);
  const sorted = sortProblems(problems);
  if (sorted.length > 0) return { problems: sorted, warnings, clusterPath: resolved };
  return { state: { revision: reader.revision, cluster, stacks: stacks.map((s) => s.stack) }, problems: [], warnings, clusterPath: resolved };
}

async function resolveClusterPath(reader: RepoReader, clusterPath: string | undefined, problems: ManifestProblem[]): Promise<string | undefined> {
  if (clusterPath !== undefined) {
    const rel = repoPath(clusterPath.replace(/\/cluster\.ya?ml$/, ''));
    if (rel === undefined) problems.push({ file: clusterPath, line: 1, col: 1, pointer: '', message: 'the cluster path must stay inside the repository' });
    return rel;
  }
  const candidates: string[] = [];
  for (const name of await reader.listDir('clusters')) {
    if (await reader.readFile(`clusters/${name}/cluster.yaml`)) candidates.push(`clusters/${name}`);
  }
  if (candidates.length === 1) return candidates[0];
  problems.push({
    file: 'clusters', line: 1, col: 1, pointer: '',
    message: candidates.length === 0 ? 'no clusters/<name>/cluster.yaml found in the repository' : `the repository declares several clusters (${candidates.join(', ')}); choose one with --path`,
  });
  return undefined;
}

async function readYaml(reader: RepoReader, file: string, problems: ManifestProblem[], missing: string): Promise<YamlSource | undefined> {
  const content = await reader.readFile(file);
  if (content === undefined) {
    problems.push({ file, line: 1, col: 1, pointer: '', message: missing });
    return undefined;
  }
  return parseYamlSource(file, content, problems);
}

async function loadStack(reader: RepoReader, cluster: ClusterSpec, ref: StackRef, index: number, clusterSource: YamlSource, problems: ManifestProblem[], warnings: ManifestProblem[], digestKey: Buffer, encrypted: EncryptedFileContext): Promise<LoadedStack | undefined> {
  const file = repoPath(ref.compose);
  if (file === undefined) {
    problems.push(clusterSource.problem(['spec', 'stacks', index, 'compose'], `stack "${ref.name}": compose path ${ref.compose} leaves the repository; paths are relative to the repo root`));
    return undefined;
  }
  const dir = posix.dirname(file);
  const envPath = posix.join(dir, '.env');
  const [content, envContent] = await Promise.all([reader.readFile(file), reader.readFile(envPath)]);
  if (content === undefined) {
    problems.push(clusterSource.problem(['spec', 'stacks', index, 'compose'], `stack "${ref.name}": compose file ${file} does not exist at this revision (paths are relative to the repo root)`));
    return undefined;
  }
  // Values of encrypted files: they may go into containers, never into anything else.
  const secretValues = new Set<string>();
  const vars = envContent ? await readEnvFile(envPath, envContent, encrypted, secretValues) : new Map<string, string>();
  const before = problems.length;
  // Interpolation edits the AST before the plain value is built, so that happens once.
  const parsed = parseYamlSource(file, content, problems, (doc) => interpolateDocument(doc, vars, problems));
  if (!parsed || problems.length > before) return undefined;
  // extends and include: one document from here on, positions kept per file.
  const resolved = await resolveComposeReferences({ reader, root: parsed, vars, readVars: (path, bytes) => readEnvFile(path, bytes, encrypted, secretValues), problems });
  if (!resolved || problems.length > before) return undefined;
  const source = resolved.source;
  if (tooManyServices(source, problems)) return undefined;
  if (!validateAgainstSchema('compose', source, problems)) return undefined;

  // An env_file outside the repository resolves to undefined and is reported as such.
  const resolveEnvFile = (path: string) => (posix.isAbsolute(path) ? undefined : repoPath(posix.join(dir, path)));
  const envFiles = await readEnvFiles(reader, source.value as Record<string, unknown>, resolveEnvFile, encrypted, secretValues);
  const compose = source.value as Record<string, unknown>;
  // Configs, secrets and relative bind mounts: relative to the compose file, inside the repo.
  const resolveFile = (path: string) => (posix.isAbsolute(path) ? undefined : repoPath(posix.join(dir, path)));
  const files = await readStackFiles(reader, compose, resolveFile, encrypted);
  const fileSources = { source, files, resolve: resolveFile, vars, digestKey, problems };
  const stack = normalizeStack(file, compose, { source, stack: ref.name, policy: cluster.policy, vars, envFiles, resolveEnvFile, problems, warnings, fileSources, profiles: ref.profiles ?? [] });
  for (const service of stack.services) {
    checkPlacement(service, cluster.nodes, source, problems);
    const sealed = sealedEnvironment(service.environment, secretValues, digestKey);
    if (sealed) service.sealedEnv = sealed;
    for (const field of secretOutsideEnvironment(service, secretValues)) {
      problems.push(source.problem(['services', service.name], `service "${service.name}": its ${field} would hold a value from an encrypted file in clear; values of encrypted files may go into \`environment\` (or be delivered as \`secrets:\`), nowhere else`, 'key'));
    }
  }
  if (cluster.engine === 'swarm') {
    checkSwarmKeys(source, problems, stack.services);
    swarmDependencyWarnings(source, warnings);
  }
  problems.push(...inlineCredentialProblems(source));
  // An included file's own x- blocks are not part of the merged document but are in Git all the same.
  for (const other of resolved.referenced) problems.push(...inlineCredentialProblems(other).filter((p) => !problems.some((q) => q.file === p.file && q.line === p.line && q.col === p.col)));
  return { stack, source };
}

/**
 * No real stack has this many services; a file that does is generated or hostile, and
 * validating and planning it would hold the daemon for many seconds (about 50,000 one-line
 * services fit under the size cap).
 */
export const MAX_SERVICES_PER_STACK = 1_000;

function tooManyServices(source: YamlSource, problems: ManifestProblem[]): boolean {
  const services = (source.value as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') return false;
  const count = Object.keys(services).length;
  if (count <= MAX_SERVICES_PER_STACK) return false;
  problems.push(source.problem(['services'], `${count} services in one stack, over the limit of ${MAX_SERVICES_PER_STACK} per stack; split them into several stacks`, 'key'));
  return true;
}

function readDotenv(path: string, content: Buffer, problems: ManifestProblem[]): Map<string, string> {
  const tooBig = oversize(path, content.byteLength);
  if (tooBig) {
    problems.push(tooBig);
    return new Map();
  }
  const text = decodeUtf8(path, content, problems);
  return text === undefined ? new Map() : parseDotenv(path, text, problems);
}

/** A dotenv file, or an encrypted one (SOPS dotenv/YAML/JSON, age) opened first; its values then count as secret. */
async function readEnvFile(path: string, content: Buffer, encrypted: EncryptedFileContext, secretValues: Set<string>): Promise<Map<string, string>> {
  const problems = encrypted.problems;
  const opened = await openRepoFile(encrypted, path, content);
  if (opened === undefined) return new Map();
  // Without keys, validation still sees which names the file sets (SOPS keeps them in clear).
  if (opened.state === 'locked') return opened.keys.length > 0 ? new Map(opened.keys.map((k) => [k, LOCKED_VALUE_PLACEHOLDER])) : new LockedVariables();
  if (opened.state === 'clear') return readDotenv(path, content, problems);
  const vars = opened.format === 'yaml' || opened.format === 'json' ? envFromStructured(path, opened.bytes.toString('utf8'), problems) : readDotenv(path, opened.bytes, problems);
  addSecretValues(secretValues, vars.values());
  for (const value of vars.values()) if (value.length >= 4) encrypted.onSecretValue?.(value);
  return vars;
}

async function readEnvFiles(reader: RepoReader, compose: Record<string, unknown>, resolve: (path: string) => string | undefined, encrypted: EncryptedFileContext, secretValues: Set<string>): Promise<Map<string, Map<string, string> | undefined>> {
  const paths = new Set<string>();
  for (const service of Object.values(compose.services as Record<string, { env_file?: unknown }>)) {
    const entries = service.env_file === undefined ? [] : Array.isArray(service.env_file) ? service.env_file : [service.env_file];
    for (const entry of entries) {
      const path = resolve(typeof entry === 'string' ? entry : (entry as { path: string }).path);
      if (path !== undefined) paths.add(path);
    }
  }
  const out = new Map<string, Map<string, string> | undefined>();
  await Promise.all(
    [...paths].map(async (path) => {
      const content = await reader.readFile(path);
      out.set(path, content === undefined ? undefined : await readEnvFile(path, content, encrypted, secretValues));
    }),
  );
  return out;
}
