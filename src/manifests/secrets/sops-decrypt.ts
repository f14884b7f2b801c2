// Opens a SOPS document: the data key from an age stanza, every `ENC[...]` value with its
// path as additional data, then the MAC. SOPS's MAC is a SHA-512 over every value in document
// order (comments excluded; only encrypted ones with mac_only_encrypted), hex upper-case,
// itself encrypted under the data key with `lastmodified` as additional data. Checking it is
// what catches a value swapped, removed or replaced by a clear one in Git.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AgeKeyring } from './age-identities.js';
import { openAge } from './age-file.js';
import { isSealed, openSealed, parseSealed } from './aes-gcm.js';
import type { SopsDocument, SopsNode, SopsTree } from './sops-document.js';
import { SopsStructureError } from './sops-document.js';

export class SopsOpenError extends Error {
  readonly code = 'SOPS_OPEN';
}

/** Structure only, no keys: every encrypted value well-formed, an age recipient present. */
export function checkSopsStructure(doc: SopsDocument): void {
  if (doc.metadata.age.length === 0) {
    const others = doc.metadata.otherKeyServices;
    throw new SopsStructureError(`it has no age recipient${others.length ? ` (only ${others.join(', ')}, which Flotilla cannot use)` : ''}; encrypt it with sops --age <recipient>`);
  }
  if (!parseSealed(doc.metadata.mac)) throw new SopsStructureError('its sops mac is not an ENC[AES256_GCM,...] value');
  walk(doc.tree, [], (value, path) => {
    if (isSealed(value) && !parseSealed(value)) throw new SopsStructureError(`the value at ${path.join('.')} is a malformed ENC[...]`);
    return value;
  });
}

export async function openSops(doc: SopsDocument, keyring: AgeKeyring): Promise<SopsTree> {
  checkSopsStructure(doc);
  const dataKey = await dataKeyOf(doc, keyring);
  const mac = createHash('sha512');
  const tree = walk(doc.tree, [], (value, path) => {
    if (!isSealed(value)) {
      // Without this, a clear value equal to the plaintext it replaces would pass the MAC.
      if (shouldBeEncrypted(doc, path)) throw new SopsOpenError(`the value at ${path.join('.')} is in clear where sops encrypts it`);
      if (!doc.metadata.macOnlyEncrypted) mac.update(macBytes(value));
      return value;
    }
    const sealed = parseSealed(value);
    const plain = sealed && openSealed(sealed, dataKey, path.join(':') + ':');
    if (!sealed || !plain) throw new SopsOpenError(`the value at ${path.join('.')} does not decrypt (edited, or moved from another key)`);
    if (sealed.type === 'comment') return value;
    const typed = typedValue(plain, sealed.type);
    mac.update(macBytes(typed));
    return typed;
  }) as SopsTree;
  const sealedMac = parseSealed(doc.metadata.mac);
  const storedMac = sealedMac && openSealed(sealedMac, dataKey, doc.metadata.lastModified);
  const computed = Buffer.from(mac.digest('hex').toUpperCase(), 'utf8');
  if (!storedMac || storedMac.byteLength !== computed.byteLength || !timingSafeEqual(storedMac, computed)) {
    throw new SopsOpenError('its MAC does not match its values (the file was altered after sops encrypted it)');
  }
  return tree;
}

async function dataKeyOf(doc: SopsDocument, keyring: AgeKeyring): Promise<Buffer> {
  for (const stanza of doc.metadata.age) {
    try {
      const key = await openAge(stanza.enc, keyring);
      if (key.byteLength === 32) return key;
    } catch {
      // Not for our identities: try the next recipient.
    }
  }
  throw new SopsOpenError(`none of the age identities given (--age-key-file) is among its recipients (${doc.metadata.age.map((a) => a.recipient).join(', ')})`);
}

/** SOPS's own rule: by key suffix or regex anywhere along the path; by default everything. */
function shouldBeEncrypted(doc: SopsDocument, path: string[]): boolean {
  const m = doc.metadata;
  if (m.unencryptedSuffix) return !path.some((k) => k.endsWith(m.unencryptedSuffix as string));
  if (m.encryptedSuffix) return path.some((k) => k.endsWith(m.encryptedSuffix as string));
  if (m.unencryptedRegex) return !path.some((k) => new RegExp(m.unencryptedRegex as string).test(k));
  if (m.encryptedRegex) return path.some((k) => new RegExp(m.encryptedRegex as string).test(k));
  return true;
}

function typedValue(plain: Buffer, type: string): string | number | boolean {
  const text = plain.toString('utf8');
  if (type === 'int' || type === 'float') return Number(text);
  if (type === 'bool') return text.toLowerCase() === 'true';
  return text;
}

// SOPS's ToBytes: strings as they are, numbers in shortest decimal form, booleans True/False.
function macBytes(value: SopsNode): Buffer {
  if (typeof value === 'boolean') return Buffer.from(value ? 'True' : 'False');
  if (typeof value === 'number') return Buffer.from(String(value));
  if (value === null) return Buffer.alloc(0);
  return Buffer.from(String(value), 'utf8');
}

type Leaf = string | number | boolean | null;

function walk(node: SopsNode, path: string[], visit: (value: Leaf, path: string[]) => SopsNode): SopsNode {
  if (node instanceof Map) return new Map([...node].map(([k, v]) => [k, walk(v, [...path, k], visit)]));
  // SOPS gives list items their list's path (no index).
  if (Array.isArray(node)) return node.map((v) => walk(v, path, visit));
  return visit(node, path);
}
