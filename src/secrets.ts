// Secrets come from files or the environment, never from flags or Git (DESIGN.md "CLI").
import { readFileSync } from 'node:fs';

export class SecretError extends Error {
  readonly code = 'SECRET_UNREADABLE' as const;
}

/** Reads a secret from `file` (trimmed) or else from `env[envName]`; undefined when neither is set. */
export function readSecret(file: string | undefined, envName: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (file) return readSecretFile(file);
  const value = env[envName]?.trim();
  return value ? value : undefined;
}

/** The trimmed content of a secret file; `what` names the file in errors (an option, say). */
export function readSecretFile(file: string, what = 'the secret file'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SecretError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const value = text.trim();
  if (!value) throw new SecretError(`${what} ${file} is empty`);
  return value;
}
