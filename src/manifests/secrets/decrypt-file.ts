// The one entry point for files committed encrypted: bytes of a repo file in, clear bytes out.
// A file that is not encrypted comes back as it is; an encrypted one is opened with the
// controller's age identities (plain age, or SOPS with age recipients); without identities
// its structure is still checked and it is reported as locked, so `flotilla validate` in a
// repo's CI (which has no keys) can say which files it could not open without failing.
import { stringify } from 'yaml';
import type { AgeKeyring } from './age-identities.js';
import { AgeOpenError, looksLikeAge, openAge } from './age-file.js';
import { looksLikeSops, parseSopsDocument, SopsStructureError, type SopsFormat, type SopsNode, type SopsTree } from './sops-document.js';
import { checkSopsStructure, openSops, SopsOpenError } from './sops-decrypt.js';

export type EncryptedFormat = 'age' | SopsFormat;

export type DecryptOutcome =
  | { state: 'clear'; bytes: Buffer }
  | { state: 'decrypted'; format: EncryptedFormat; bytes: Buffer }
  /** `keys`: the top-level names a SOPS file shows in clear (its values stay unknown). */
  | { state: 'locked'; format: EncryptedFormat; keys: string[] };

/** A file that is encrypted but malformed, not for our keys, or altered: names the file, never a value. */
export class DecryptError extends Error {
  readonly code = 'DECRYPT_FAILED';
  constructor(readonly file: string, readonly format: EncryptedFormat, reason: string) {
    super(`${file}: cannot decrypt this ${format === 'age' ? 'age' : `SOPS (${format})`} file: ${reason}`);
  }
}

export async function decryptRepoFile(file: string, bytes: Buffer, keyring: AgeKeyring | undefined): Promise<DecryptOutcome> {
  if (looksLikeAge(bytes)) {
    if (!keyring || keyring.size === 0) return { state: 'locked', format: 'age', keys: [] };
    try {
      return { state: 'decrypted', format: 'age', bytes: await openAge(bytes, keyring) };
    } catch (err) {
      if (err instanceof AgeOpenError) throw new DecryptError(file, 'age', err.message);
      throw err;
    }
  }
  const text = bytes.toString('utf8');
  const format = looksLikeSops(text);
  if (!format) return { state: 'clear', bytes };
  try {
    const doc = parseSopsDocument(text, format);
    if (!keyring || keyring.size === 0) {
      checkSopsStructure(doc);
      return { state: 'locked', format, keys: [...doc.tree.keys()] };
    }
    return { state: 'decrypted', format, bytes: Buffer.from(render(await openSops(doc, keyring), format), 'utf8') };
  } catch (err) {
    if (err instanceof SopsStructureError || err instanceof SopsOpenError || err instanceof AgeOpenError) throw new DecryptError(file, format, err.message);
    throw err;
  }
}

/** The decrypted document in its own format, without the sops metadata. */
function render(tree: SopsTree, format: SopsFormat): string {
  if (format === 'json') return JSON.stringify(toPlain(tree), null, 2) + '\n';
  if (format === 'yaml') return stringify(toPlain(tree));
  return [...tree].map(([k, v]) => `${k}=${dotenvQuote(String(v))}`).join('\n') + '\n';
}

function toPlain(node: SopsNode): unknown {
  if (node instanceof Map) return Object.fromEntries([...node].map(([k, v]) => [k, toPlain(v)]));
  if (Array.isArray(node)) return node.map(toPlain);
  return node;
}

// Flotilla's dotenv reader takes single quotes literally; double quotes only where the value
// itself holds a single quote or a newline (with `$` doubled so nothing interpolates).
function dotenvQuote(value: string): string {
  if (!/['\n\r]/.test(value)) return `'${value}'`;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '').replace(/\$/g, '$$$$')}"`;
}
