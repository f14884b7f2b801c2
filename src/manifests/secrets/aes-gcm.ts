// One SOPS value: `ENC[AES256_GCM,data:..,iv:..,tag:..,type:..]`, opened with Node's own
// AES-256-GCM (OpenSSL); SOPS uses 32-byte nonces, which GCM accepts.
import { createDecipheriv } from 'node:crypto';

export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'bytes' | 'comment';

export interface SealedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: SopsValueType;
}

const ENC = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:(str|int|float|bool|bytes|comment)\]$/;

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('ENC[AES256_GCM,');
}

/** undefined when the text is not a well-formed SOPS value. */
export function parseSealed(text: string): SealedValue | undefined {
  const m = ENC.exec(text);
  if (!m) return undefined;
  return { data: Buffer.from(m[1] as string, 'base64'), iv: Buffer.from(m[2] as string, 'base64'), tag: Buffer.from(m[3] as string, 'base64'), type: m[4] as SopsValueType };
}

/** The plaintext, or undefined when the tag does not verify (wrong key, edited value, moved value). */
export function openSealed(value: SealedValue, dataKey: Buffer, aad: string): Buffer | undefined {
  if (value.tag.byteLength !== 16) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, value.iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(value.tag);
    return Buffer.concat([decipher.update(value.data), decipher.final()]);
  } catch {
    return undefined;
  }
}
