// The files registry credentials are read from, on the controller's machine: a Docker
// `config.json` (what `docker login` writes: `auths` with `auth` = base64 "user:password",
// or `username`/`password`, `identitytoken`, `registrytoken`; plus `credsStore` and
// `credHelpers`), or a plain credential file for one registry (JSON or YAML with
// `username` and `password` or `token`, or `identitytoken`, or `registrytoken`; or a single
// `username:password` line). No message here ever quotes the file's content: a parse
// error names the file and the problem only, since the content is a secret.
import { parseDocument } from 'yaml';
import type { RegistryCredential } from './credential.js';
import { normalizeRegistryHost } from './image-host.js';

export class CredentialFileError extends Error {
  readonly code = 'REGISTRY_AUTH_FILE' as const;
}

export interface DockerConfig {
  /** By normalized host; undefined for an entry without a credential (`{}` next to a credsStore). */
  auths: Map<string, RegistryCredential | undefined>;
  credsStore?: string;
  /** Helper name (the part after `docker-credential-`) by normalized host. */
  credHelpers: Map<string, string>;
}

export type CredentialFile = { kind: 'docker-config'; config: DockerConfig } | { kind: 'credential'; credential: RegistryCredential };

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A credential helper is run as a program, so its name must not be able to say anything else. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function parseCredentialFile(content: string, file: string): CredentialFile {
  const value = parseStructured(content);
  if (isRecord(value) && ('auths' in value || 'credsStore' in value || 'credHelpers' in value)) {
    return { kind: 'docker-config', config: dockerConfigOf(value, file) };
  }
  if (isRecord(value)) return { kind: 'credential', credential: plainCredential(value, file) };
  // One `username:password` line, as htpasswd-style tools write; no spaces or JSON punctuation,
  // so that a broken JSON or YAML file is never read as one.
  const line = /^([^\s:{}"',]+):(\S+)$/.exec(content.trim());
  if (line?.[1] !== undefined && line[2] !== undefined) {
    return { kind: 'credential', credential: { kind: 'basic', username: line[1], password: line[2] } };
  }
  throw new CredentialFileError(`${file} is neither a Docker config.json, nor a credential file ({"username", "password"}, {"identitytoken"} or {"registrytoken"}), nor a "username:password" line`);
}

/** A Docker config.json; its `auths` keys may be URLs (`https://index.docker.io/v1/`) or hosts. */
export function parseDockerConfig(content: string, file: string): DockerConfig {
  const value = parseStructured(content);
  if (!isRecord(value)) throw new CredentialFileError(`${file} is not a Docker config.json (a JSON object)`);
  return dockerConfigOf(value, file);
}

function parseStructured(content: string): unknown {
  try {
    return JSON.parse(content) as unknown;
  } catch {
    // Not JSON; YAML then (its error messages quote the input, so they are dropped).
  }
  try {
    // A document with errors is refused whole: half a credential file is no credential.
    const doc = parseDocument(content);
    return doc.errors.length > 0 ? undefined : (doc.toJS() as unknown);
  } catch {
    return undefined;
  }
}

function dockerConfigOf(value: Raw, file: string): DockerConfig {
  const auths = new Map<string, RegistryCredential | undefined>();
  if (value.auths !== undefined && !isRecord(value.auths)) throw new CredentialFileError(`${file}: \`auths\` must be an object of registries`);
  for (const [key, entry] of Object.entries(isRecord(value.auths) ? value.auths : {})) {
    if (!isRecord(entry)) throw new CredentialFileError(`${file}: the \`auths\` entry for ${key} must be an object`);
    auths.set(normalizeRegistryHost(key), authEntry(entry, `${file}: the \`auths\` entry for ${key}`));
  }
  const credHelpers = new Map<string, string>();
  if (value.credHelpers !== undefined && !isRecord(value.credHelpers)) throw new CredentialFileError(`${file}: \`credHelpers\` must map registries to helper names`);
  for (const [key, helper] of Object.entries(isRecord(value.credHelpers) ? value.credHelpers : {})) {
    credHelpers.set(normalizeRegistryHost(key), helperName(helper, `${file}: credHelpers.${key}`));
  }
  const store = value.credsStore === undefined || value.credsStore === '' ? undefined : helperName(value.credsStore, `${file}: credsStore`);
  return { auths, credHelpers, ...(store !== undefined ? { credsStore: store } : {}) };
}

function helperName(value: unknown, where: string): string {
  if (typeof value !== 'string' || !HELPER_NAME.test(value)) throw new CredentialFileError(`${where} must be a credential helper name such as "pass" or "ecr-login" (it runs docker-credential-<name>)`);
  return value;
}

/** One `auths` entry: `auth` (base64 "user:password") or username/password, or a token. */
function authEntry(entry: Raw, where: string): RegistryCredential | undefined {
  let username = text(entry.username);
  let password = text(entry.password);
  const auth = text(entry.auth);
  if (auth !== undefined) {
    const decoded = Buffer.from(auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new CredentialFileError(`${where}: \`auth\` is not base64 of "username:password"`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  const identityToken = text(entry.identitytoken);
  if (identityToken !== undefined) return { kind: 'identity-token', token: identityToken, ...(username !== undefined ? { username } : {}) };
  const registryToken = text(entry.registrytoken);
  if (registryToken !== undefined) return { kind: 'registry-token', token: registryToken };
  if (username !== undefined && password !== undefined) return { kind: 'basic', username, password };
  return undefined;
}

function plainCredential(value: Raw, file: string): RegistryCredential {
  const username = text(value.username);
  const secret = text(value.password) ?? text(value.token);
  const identityToken = text(value.identitytoken) ?? text(value.identityToken);
  if (identityToken !== undefined) return { kind: 'identity-token', token: identityToken, ...(username !== undefined ? { username } : {}) };
  const registryToken = text(value.registrytoken) ?? text(value.registryToken);
  if (registryToken !== undefined) return { kind: 'registry-token', token: registryToken };
  if (username !== undefined && secret !== undefined) return { kind: 'basic', username, password: secret };
  if (secret !== undefined) throw new CredentialFileError(`${file} has a password or token but no \`username\`; registries want both (many accept any username with a token)`);
  throw new CredentialFileError(`${file} holds no credential: write \`username\` and \`password\` (or \`token\`), or \`identitytoken\`, or \`registrytoken\``);
}
