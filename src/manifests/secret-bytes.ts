// The clear bytes of a secret, in a wrapper that does not leak them by accident: JSON
// (status, state files, the last-good snapshot), util.inspect (logs, assertion messages)
// and string conversion all see a placeholder. Only `reveal()` gives the bytes, and only
// the step that uploads them into a container calls it.
import { inspect } from 'node:util';

export const SECRET_PLACEHOLDER = '[secret]';

export class SecretBytes {
  readonly #bytes: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  reveal(): Buffer {
    return this.#bytes;
  }

  toJSON(): string {
    return SECRET_PLACEHOLDER;
  }

  toString(): string {
    return SECRET_PLACEHOLDER;
  }

  [inspect.custom](): string {
    return SECRET_PLACEHOLDER;
  }
}

/** The bytes of a config or secret entry; undefined for a secret read back from JSON (its bytes were never written). */
export function contentBytes(content: { base64: string } | SecretBytes | string): Buffer | undefined {
  if (content instanceof SecretBytes) return content.reveal();
  if (typeof content === 'object' && content !== null && typeof content.base64 === 'string') return Buffer.from(content.base64, 'base64');
  return undefined;
}
