// Reads a stack's `.env` the way Compose does: KEY=VALUE lines, `#` comments, optional
// `export ` prefix, single quotes literal, double quotes with \n escapes, and earlier keys
// usable in later values.
import type { ManifestProblem } from './problems.js';
import { interpolate } from './interpolate.js';

export function parseDotenv(file: string, text: string, problems: ManifestProblem[]): Map<string, string> {
  const vars = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      problems.push({ file, line: index + 1, col: 1, pointer: '', message: `expected KEY=VALUE, got ${JSON.stringify(line.slice(0, 60))}` });
      return;
    }
    const key = match[1] as string;
    const rawValue = match[2] as string;
    const value = readValue(rawValue, vars);
    if (value === undefined) {
      problems.push({ file, line: index + 1, col: line.indexOf('=') + 2, pointer: '', message: `value of ${key} has an unterminated quote` });
      return;
    }
    vars.set(key, value);
  });
  return vars;
}

function readValue(raw: string, known: Map<string, string>): string | undefined {
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    return end < 0 ? undefined : raw.slice(1, end);
  }
  if (raw.startsWith('"')) {
    let out = '';
    for (let i = 1; i < raw.length; i++) {
      const ch = raw[i];
      if (ch === '\\' && i + 1 < raw.length) {
        const esc = raw[++i];
        out += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
      } else if (ch === '"') {
        return expandKnown(out, known);
      } else {
        out += ch;
      }
    }
    return undefined;
  }
  const unquoted = raw.replace(/\s+#.*$/, '').trim();
  return expandKnown(unquoted, known);
}

/** Earlier keys may be referenced; unknown ones are left as written rather than failing the file. */
function expandKnown(value: string, known: Map<string, string>): string {
  if (!value.includes('$')) return value;
  const result = interpolate(value, known);
  return result.ok ? result.value : value;
}
