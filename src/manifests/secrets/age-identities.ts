// The controller's age identities (`--age-key-file`, SOPS_AGE_KEY_FILE): the private keys
// that open files committed encrypted. A keyring is built once at start-up; its keys never
// leave it (toJSON and inspect show only how many there are).
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';

export class AgeKeyring {
  readonly #identities: readonly string[];

  constructor(identities: readonly string[]) {
    this.#identities = identities;
  }

  get size(): number {
    return this.#identities.length;
  }

  /** Only the decrypting step calls this. */
  identities(): readonly string[] {
    return this.#identities;
  }

  toJSON(): string {
    return `[${this.#identities.length} age identities]`;
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

export class AgeKeyFileError extends Error {
  readonly code = 'AGE_KEY_FILE';
}

/**
 * Reads an age identity file as age-keygen writes it: `AGE-SECRET-KEY-1...` lines, `#`
 * comments, blank lines. Several files may be given (a key per environment). Any other line is
 * an error naming the file and line, never echoing the line (it may be a mangled key).
 */
export function readAgeKeyFiles(files: readonly string[]): AgeKeyring {
  const identities: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AgeKeyFileError(`age key file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    identities.push(...parseAgeIdentities(text, file));
  }
  return new AgeKeyring(identities);
}

export function parseAgeIdentities(text: string, file: string): string[] {
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (!/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]+$/.test(line)) {
      throw new AgeKeyFileError(`age key file ${file}:${index + 1}: not an age identity (expected a line AGE-SECRET-KEY-1..., as age-keygen writes; plugin and SSH identities are not supported)`);
    }
    out.push(line);
  });
  if (out.length === 0) throw new AgeKeyFileError(`age key file ${file} holds no AGE-SECRET-KEY-1... line`);
  return out;
}
