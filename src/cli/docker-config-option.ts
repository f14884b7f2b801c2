// `--docker-config` (FLOTILLA_DOCKER_CONFIG), for the commands that pull images (run, apply):
// the Docker config.json whose logins and credential helpers pulls use, so that an operator's
// existing `docker login` just works. As with the Docker CLI, DOCKER_CONFIG names its
// directory, and ~/.docker/config.json is the default; a path given here may be either.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialFileError, parseDockerConfig } from '../docker/registry/credential-file.js';
import { UsageError, type OptionSpec, type ParsedOptions } from './options.js';

export const DOCKER_CONFIG_OPTION: OptionSpec = {
  type: 'string',
  value: 'PATH',
  description: 'Docker config.json (or its directory) with registry logins and credential helpers for pulls (or set DOCKER_CONFIG; default ~/.docker/config.json)',
};

/**
 * The config.json to read, or undefined when none is set and the default does not exist.
 * It is parsed once here so that a broken one stops the command at start-up, not the
 * first pull; pulls read it again (a `docker login` since then is picked up).
 */
export function dockerConfigFile(options: ParsedOptions, env: NodeJS.ProcessEnv): string | undefined {
  const file = locate(options, env);
  if (file === undefined) return undefined;
  try {
    parseDockerConfig(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (err instanceof CredentialFileError) throw new UsageError(`the Docker config ${err.message}`);
    throw new UsageError(`the Docker config ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return file;
}

function locate(options: ParsedOptions, env: NodeJS.ProcessEnv): string | undefined {
  const given = options['docker-config'];
  if (typeof given === 'string' && given !== '') return existingConfig(given, '--docker-config');
  const dir = env.DOCKER_CONFIG;
  if (dir !== undefined && dir !== '') return existingConfig(dir, 'DOCKER_CONFIG');
  const home = env.HOME ?? homedir();
  const fallback = join(home, '.docker', 'config.json');
  return kindOf(fallback) === 'file' ? fallback : undefined;
}

/** A path an operator named must exist: a typo would otherwise mean anonymous pulls that fail later. */
function existingConfig(path: string, what: string): string {
  const kind = kindOf(path);
  if (kind === 'dir') {
    const file = join(path, 'config.json');
    if (kindOf(file) !== 'file') throw new UsageError(`${what} names the directory ${path}, which holds no config.json`);
    return file;
  }
  if (kind === 'file') return path;
  throw new UsageError(`${what} names ${path}, which does not exist`);
}

function kindOf(path: string): 'file' | 'dir' | undefined {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}
