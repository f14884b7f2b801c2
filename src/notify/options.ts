// Reads a notification's options as written in cluster.yaml, and resolves the secrets it
// names (`urlFile`/`urlEnv`, `secretFile`/`secretEnv`, `tokenFile`/`tokenEnv`) once, when the
// notification is configured. The values live in files or the environment of the daemon,
// never in Git; a missing one is a NotificationConfigError for that notification only.
import { isAbsolute, resolve } from 'node:path';
import type { NotificationSpec } from '../manifests/model.js';
import { NotificationConfigError } from './provider.js';
import { readSecretFile } from '../secrets.js';

export interface SecretSources {
  env: NodeJS.ProcessEnv;
  /** Relative secret files are read from here (the daemon's working directory). */
  baseDir: string;
  /** Told every secret value read, so the logger can scrub it (SecretRedactor.add). */
  onSecret?(value: string): void;
}

export type SecretName = 'url' | 'secret' | 'token';

/** A string option, or undefined when absent; a wrong type is a config error. */
export function stringOption(spec: NotificationSpec, key: string): string | undefined {
  const value = spec.options[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new NotificationConfigError(spec.name, `option ${key} must be a string`);
  return value;
}

/**
 * Resolves `<name>` from `<name>File` or `<name>Env` (and from the plain `<name>` option
 * when `allowInline`, for values that are not secrets, like a webhook URL without a token).
 * Returns undefined when none is given.
 */
export function resolveSecretOption(spec: NotificationSpec, name: SecretName, sources: SecretSources, allowInline: boolean): string | undefined {
  const inline = stringOption(spec, name);
  const file = stringOption(spec, `${name}File`);
  const envName = stringOption(spec, `${name}Env`);
  const given = [inline !== undefined && name, file !== undefined && `${name}File`, envName !== undefined && `${name}Env`].filter(Boolean);
  if (given.length > 1) throw new NotificationConfigError(spec.name, `give only one of ${given.join(', ')}`);
  if (inline !== undefined) {
    if (!allowInline) throw new NotificationConfigError(spec.name, `${name} is a secret for the ${spec.provider} provider and must not be written in Git: use ${name}File or ${name}Env`);
    return inline;
  }
  if (file !== undefined) {
    const path = isAbsolute(file) ? file : resolve(sources.baseDir, file);
    let value: string;
    try {
      value = readSecretFile(path, `${name}File`);
    } catch (err) {
      throw new NotificationConfigError(spec.name, (err as Error).message);
    }
    sources.onSecret?.(value);
    return value;
  }
  if (envName !== undefined) {
    const value = sources.env[envName]?.trim();
    if (!value) throw new NotificationConfigError(spec.name, `${name}Env names the environment variable ${envName}, which is not set in the daemon's environment`);
    sources.onSecret?.(value);
    return value;
  }
  return undefined;
}

/** Like resolveSecretOption, but the value must be there. */
export function requireSecretOption(spec: NotificationSpec, name: SecretName, sources: SecretSources, allowInline: boolean): string {
  const value = resolveSecretOption(spec, name, sources, allowInline);
  if (value !== undefined) return value;
  const forms = allowInline ? `${name}, ${name}File or ${name}Env` : `${name}File or ${name}Env`;
  throw new NotificationConfigError(spec.name, `the ${spec.provider} provider needs ${name === 'url' ? 'a URL' : `a ${name}`}: set ${forms}`);
}

/** An http(s) URL, or a config error that does not echo the value (it may hold a token). */
export function requireHttpUrl(spec: NotificationSpec, value: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new NotificationConfigError(spec.name, `${what} is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new NotificationConfigError(spec.name, `${what} must be an https:// (or http://) URL`);
  return value;
}
