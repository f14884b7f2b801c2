// age (age-encryption.org/v1) through Filippo Valsorda's own TypeScript implementation: a
// plain `*.age` file, or the armored data key inside a SOPS file's metadata.
import type { AgeKeyring } from './age-identities.js';

// Loaded on the first encrypted file: the library and its crypto cost the daemon about
// 16 MB of RSS, which a repo without encrypted files should not pay.
let ageLibrary: Promise<typeof import('age-encryption')> | undefined;
const loadAge = (): Promise<typeof import('age-encryption')> => (ageLibrary ??= import('age-encryption'));

const BINARY_HEADER = 'age-encryption.org/v1\n';
const ARMOR_HEADER = '-----BEGIN AGE ENCRYPTED FILE-----';

export function looksLikeAge(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 64).toString('latin1');
  return head.startsWith(BINARY_HEADER) || head.trimStart().startsWith(ARMOR_HEADER);
}

/** Why an age file did not open, in words that never include key material. */
export class AgeOpenError extends Error {
  readonly code = 'AGE_OPEN';
}

export async function openAge(bytes: Buffer | string, keyring: AgeKeyring): Promise<Buffer> {
  const { Decrypter, armor } = await loadAge();
  const text = typeof bytes === 'string' ? bytes : undefined;
  let file: Uint8Array;
  try {
    const armored = text ?? (looksArmored(bytes as Buffer) ? (bytes as Buffer).toString('latin1') : undefined);
    file = armored !== undefined ? armor.decode(armored.trim() + '\n') : (bytes as Buffer);
  } catch {
    throw new AgeOpenError('its age armor is malformed');
  }
  const decrypter = new Decrypter();
  for (const identity of keyring.identities()) decrypter.addIdentity(identity);
  try {
    return Buffer.from(await decrypter.decrypt(file));
  } catch (err) {
    const message = (err as Error).message ?? '';
    // age-encryption says "no identity matched any of the file's recipients" for a file made
    // for other keys; anything else is a damaged or edited file.
    throw new AgeOpenError(/no identity matched/i.test(message) ? 'none of the age identities given (--age-key-file) is a recipient of it' : 'it is not a valid age file or was altered (authentication failed)');
  }
}

function looksArmored(bytes: Buffer): boolean {
  return bytes.subarray(0, 64).toString('latin1').trimStart().startsWith(ARMOR_HEADER);
}
