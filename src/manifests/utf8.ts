// Manifests are UTF-8. Node's Buffer#toString replaces invalid bytes with U+FFFD without a
// word, so a Latin-1 file would deploy values nobody wrote; decoding strictly here turns
// that into a problem at the line and column of the first bad byte.
import type { ManifestProblem } from './problems.js';

const strict = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(file: string, bytes: Uint8Array, problems: ManifestProblem[]): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    const offset = firstInvalidByte(bytes);
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < offset; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const byte = bytes[offset] ?? 0;
    problems.push({
      file, line, col: offset - lineStart + 1, pointer: '',
      message: `byte 0x${byte.toString(16).padStart(2, '0')} is not valid UTF-8; manifests must be UTF-8 (re-save the file as UTF-8, e.g. \`iconv -f latin1 -t utf-8\`)`,
    });
    return undefined;
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidByte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    // Overlong forms and surrogates are invalid too; the decoder's verdict stands, so a
    // sequence that looks well-formed but was refused is reported at its first byte.
    if (!wellFormed(bytes.subarray(i, i + length))) return i;
    i += length;
  }
  return Math.max(0, bytes.length - 1);
}

function wellFormed(sequence: Uint8Array): boolean {
  try {
    strict.decode(sequence);
    return true;
  } catch {
    return false;
  }
}
