// Which credential a pull of an image sends (DESIGN.md `spec.registries`, `--docker-config`):
//   1. the `spec.registries` entry of the image's registry host: its `auth.file` (a Docker
//      config.json, looked up for that host as below, or a plain credential file);
//   2. the controller's Docker config (--docker-config / DOCKER_CONFIG / ~/.docker), as the
//      Docker CLI reads it: `credHelpers[host]`, then `auths[host]`, then `credsStore`;
//   3. nothing: an anonymous pull.
// Files are read when a pull needs them (once per registry per rollout), so a rotated
// token is picked up without a restart. Every secret found is handed to `onSecret` (the log
// scrubber) before it is used.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { RegistrySpec } from '../../manifests/model.js';
import { registryAuthHeader, secretFormsOf, type RegistryCredential } from './credential.js';
import { CredentialFileError, parseCredentialFile, parseDockerConfig, type DockerConfig } from './credential-file.js';
import { credentialFromHelper, DEFAULT_HELPER_TIMEOUT_MS, runHelperProcess, type HelperRunner } from './credential-helper.js';
import { normalizeRegistryHost, serverAddressOf } from './image-host.js';

/** What one pull sends, and what messages may say about it (never the credential). */
export interface PullAuth {
  /** The image's registry host, normalized (`docker.io` for Docker Hub). */
  registry: string;
  /** X-Registry-Auth; undefined for an anonymous pull. */
  header?: string;
  /** Where the credential came from ("auth.file /etc/flotilla/ghcr.json"), for messages. */
  source?: string;
}

/** The seam the executor pulls through; built once at start-up (app.ts). */
export interface RegistryAuth {
  /** Throws RegistryAuthError when a configured credential cannot be read. */
  authFor(registry: string, registries: readonly RegistrySpec[]): Promise<PullAuth>;
}

export class RegistryAuthError extends Error {
  readonly code = 'REGISTRY_AUTH' as const;
  constructor(readonly registry: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface ResolverOptions {
  /** The controller's Docker config.json (already resolved from --docker-config etc.), if any. */
  dockerConfigFile?: string;
  /** Relative auth.file paths are relative to this (the daemon's working directory). */
  baseDir: string;
  helperTimeoutMs?: number;
  runHelper?: HelperRunner;
  onSecret?(value: string): void;
  read?(path: string): Promise<string>;
}

export class RegistryAuthResolver implements RegistryAuth {
  private readonly read: (path: string) => Promise<string>;

  constructor(private readonly options: ResolverOptions) {
    this.read = options.read ?? ((path) => readFile(path, 'utf8'));
  }

  async authFor(registry: string, registries: readonly RegistrySpec[]): Promise<PullAuth> {
    const host = normalizeRegistryHost(registry);
    const entry = registries.find((r) => normalizeRegistryHost(r.host) === host);
    if (entry) {
      const file = isAbsolute(entry.auth.file) ? entry.auth.file : resolve(this.options.baseDir, entry.auth.file);
      const found = await this.fromFile(host, file, `spec.registries auth.file ${file}`);
      if (!found) throw new RegistryAuthError(host, `spec.registries names ${file} for registry ${host}, but that file holds no credential for ${host}`);
      return this.use(host, found.credential, found.source);
    }
    const configFile = this.options.dockerConfigFile;
    if (configFile !== undefined) {
      const found = await this.fromFile(host, configFile, `the Docker config ${configFile}`, 'docker-config');
      if (found) return this.use(host, found.credential, found.source);
    }
    return { registry: host };
  }

  private use(host: string, credential: RegistryCredential, source: string): PullAuth {
    for (const form of secretFormsOf(credential)) this.options.onSecret?.(form);
    const header = registryAuthHeader(credential, serverAddressOf(host));
    this.options.onSecret?.(header);
    return { registry: host, header, source };
  }

  /**
   * An auth.file may be either kind of file; the controller's own Docker config is only ever
   * a config.json, and one that is not there (no `docker login` yet) means no credential.
   */
  private async fromFile(host: string, file: string, what: string, kind: 'any' | 'docker-config' = 'any'): Promise<{ credential: RegistryCredential; source: string } | undefined> {
    const optional = kind === 'docker-config';
    let content: string;
    try {
      content = await this.read(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      if (optional && code === 'ENOENT') return undefined;
      throw new RegistryAuthError(host, `${what} cannot be read (${code})`, { cause: err });
    }
    let parsed;
    try {
      parsed = kind === 'docker-config' ? { kind: 'docker-config' as const, config: parseDockerConfig(content, file) } : parseCredentialFile(content, file);
    } catch (err) {
      if (err instanceof CredentialFileError) throw new RegistryAuthError(host, err.message);
      throw err;
    }
    if (parsed.kind === 'credential') return { credential: parsed.credential, source: what };
    return this.fromDockerConfig(host, parsed.config, what);
  }

  private async fromDockerConfig(host: string, config: DockerConfig, what: string): Promise<{ credential: RegistryCredential; source: string } | undefined> {
    const helper = config.credHelpers.get(host);
    if (helper !== undefined) return this.fromHelper(host, helper, what);
    const stored = config.auths.get(host);
    if (stored !== undefined) return { credential: stored, source: what };
    if (config.credsStore !== undefined) return this.fromHelper(host, config.credsStore, what);
    return undefined;
  }

  private async fromHelper(host: string, helper: string, what: string): Promise<{ credential: RegistryCredential; source: string } | undefined> {
    try {
      const credential = await credentialFromHelper(helper, serverAddressOf(host), this.options.runHelper ?? runHelperProcess, this.options.helperTimeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS);
      return credential ? { credential, source: `docker-credential-${helper} (from ${what})` } : undefined;
    } catch (err) {
      throw new RegistryAuthError(host, `the credential helper for ${host} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
