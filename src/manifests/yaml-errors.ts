// Turns the `yaml` library's parse errors into messages a person can act on, positioned
// where the mistake is rather than where the parser noticed it: an unclosed quote or
// bracket is reported at its opening, an over-indented line at that line. One mistake
// often trips several parser errors at once; only the most telling one is kept.
import { isCollection, isScalar, visit, type Document, type YAMLError, type YAMLWarning } from 'yaml';

export interface PositionedMessage {
  offset: number;
  message: string;
}

/** The error code preferred when several errors start at the same place. */
const PREFERRED = ['DUPLICATE_KEY', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT', 'MISSING_CHAR'];
/** A file of garbage yields thousands of parser errors; the first few say enough. */
const MAX_REPORTED = 20;

type LineOf = (offset: number) => number;

export function describeYamlErrors(doc: Document.Parsed, text: string, errors: readonly YAMLError[], lineOf: LineOf): PositionedMessage[] {
  const byStart = new Map<number, YAMLError>();
  for (const err of errors) {
    const seen = byStart.get(err.pos[0]);
    if (!seen || rank(err.code) < rank(seen.code)) byStart.set(err.pos[0], err);
  }
  const out: PositionedMessage[] = [];
  const lines = new Set<number>();
  for (const err of [...byStart.values()].sort((a, b) => a.pos[0] - b.pos[0])) {
    const described = describe(doc, text, err, lineOf);
    // A second complaint on the same line is nearly always the same mistake seen again.
    const line = lineOf(described.offset);
    if (lines.has(line)) continue;
    lines.add(line);
    out.push({ offset: described.offset, message: described.message });
    // Everything after an unclosed quote or bracket is misread; those errors would only mislead.
    if (described.fatal || out.length === MAX_REPORTED) break;
  }
  return out;
}

/** Unknown tags (`!reset`, `!override`, `!!binary`) would silently become plain strings. */
export function describeYamlWarnings(warnings: readonly YAMLWarning[]): PositionedMessage[] {
  return warnings
    .filter((w) => w.code === 'TAG_RESOLVE_FAILED')
    .map((w) => {
      const tag = /Unresolved tag: (\S+)/.exec(w.message)?.[1] ?? 'tag';
      return {
        offset: w.pos[0],
        message: `unsupported YAML tag ${tag}: Flotilla reads plain YAML (Compose's !reset and !override are not supported); remove the tag and write the value itself`,
      };
    });
}

/** The message for a key written twice in one mapping, at the second one. */
export function describeDuplicateKey(text: string, offset: number): PositionedMessage {
  const key = /^\s*("[^"]*"|'[^']*'|[^:\s]+)/.exec(text.slice(offset, offset + 1024))?.[1];
  const shown = key === undefined ? '' : /^["']/.test(key) ? `${key} ` : `"${key}" `;
  return { offset, message: `duplicate key ${shown}in the same mapping; YAML would silently keep only one, so remove or rename the other` };
}

function rank(code: string): number {
  const i = PREFERRED.indexOf(code);
  return i < 0 ? PREFERRED.length : i;
}

function describe(doc: Document.Parsed, text: string, err: YAMLError, lineOf: LineOf): PositionedMessage & { fatal?: boolean } {
  const [start, end] = err.pos;
  const first = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
  switch (err.code) {
    case 'DUPLICATE_KEY':
      return describeDuplicateKey(text, start);
    case 'MULTIPLE_DOCS':
      return { offset: start, message: 'a manifest holds exactly one YAML document, but a second one starts here with `---`; move it to a file of its own' };
    case 'MULTILINE_IMPLICIT_KEY':
      if (lineOf(start) !== lineOf(end)) {
        // `image: nginx` followed by a line indented deeper than `image` makes YAML read
        // both lines as one value followed by a stray `:`.
        const offset = firstNonSpace(text, lineStart(text, end));
        return { offset, message: 'YAML syntax error: this line is indented deeper than the key above it, so it reads as part of the previous value; align it with its sibling keys' };
      }
      break;
    case 'MISSING_CHAR':
      if (/quote/i.test(first)) {
        const opened = enclosing(doc, start, (node) => isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'));
        if (opened !== undefined) return { offset: opened, fatal: true, message: `YAML syntax error: the string opened here with ${text[opened]} is never closed; add the closing ${text[opened]}` };
      }
      break;
    case 'BAD_INDENT':
      if (/^Flow (sequence|map)/.test(first)) {
        const open = enclosing(doc, start, (node) => isCollection(node) && node.flow === true);
        if (open !== undefined && !isClosed(text, open)) {
          const close = text[open] === '[' ? ']' : '}';
          return { offset: open, fatal: true, message: `YAML syntax error: the ${text[open]} opened here is not closed with ${close} before the next key` };
        }
        return { offset: start, message: 'YAML syntax error: the continuation lines of a [...] or {...} value must be indented deeper than its key' };
      }
      break;
    default:
  }
  if (/Maximum call stack/.test(first)) return { offset: start, message: 'the document nests too deeply to be read; a manifest never needs that many levels' };
  return { offset: start, message: `YAML syntax error: ${first}` };
}

/** Start offset of the innermost node satisfying `test` whose range contains `offset`. */
function enclosing(doc: Document.Parsed, offset: number, test: (node: unknown) => boolean): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Node(_key, node) {
      const range = node.range;
      if (!range || range[0] > offset || range[2] < offset) return visit.SKIP;
      if (test(node) && range[0] < offset) found = range[0];
      return undefined;
    },
  });
  return found;
}

/** Whether the bracket at `open` is ever balanced (quotes inside are rare enough to ignore). */
function isClosed(text: string, open: number): boolean {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '[' || ch === '{') depth++;
    else if ((ch === ']' || ch === '}') && --depth === 0) return true;
  }
  return false;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
}

function firstNonSpace(text: string, from: number): number {
  let i = from;
  while (text[i] === ' ') i++;
  return i;
}
