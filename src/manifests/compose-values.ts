// Parsers for the small string languages inside Compose files: durations, byte sizes,
// CPU counts, shell-like command strings. Each returns undefined for text it cannot read,
// so the caller can report the problem where it has the position.

const DURATION_UNITS_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDurationMs(text: string): number | undefined {
  const parts = [...text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS_MS[p[2] as string] as number), 0));
}

const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^([0-9]+(?:\.[0-9]+)?)\s*([bkmg])?b?$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase();
  return Math.round(Number(match[1]) * (BYTE_UNITS[unit] as number));
}

export function parseNanoCpus(value: string | number): number | undefined {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1e9) : undefined;
}

/** Splits a command string the way a POSIX shell would for words and quotes (no expansion). */
export function splitCommand(text: string): string[] | undefined {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(current);
  return words;
}

/** Compose's list-or-map form (`environment`, `labels`, `extra_hosts`) as a plain record. */
export function listOrMapToRecord(value: unknown, separator: '=' | ':' = '='): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  if (Array.isArray(value)) {
    for (const item of value as string[]) {
      const at = item.indexOf(separator);
      if (at < 0) out[item] = undefined;
      else out[item.slice(0, at)] = item.slice(at + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      out[key] = v === null || v === undefined ? undefined : String(v);
    }
  }
  return out;
}
