// Command-line options with the environment as fallback: every `--some-option` can also be
// given as FLOTILLA_SOME_OPTION, so the daemon is configurable in containers without flags.
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  default?: string | boolean;
  description: string;
  /** Shown in help as the value's name, e.g. DIR or URL. */
  value?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type ParsedOptions = Record<string, string | boolean | undefined>;

export class UsageError extends Error {
  readonly code = 'USAGE' as const;
}

export function envName(option: string): string {
  return 'FLOTILLA_' + option.replace(/-/g, '_').toUpperCase();
}

export function parseOptions(argv: string[], specs: OptionSpecs, env: NodeJS.ProcessEnv = process.env): { options: ParsedOptions; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(specs).map(([name, spec]) => [name, { type: spec.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
  const options: ParsedOptions = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = (parsed.values as Record<string, string | boolean | undefined>)[name];
    const fromEnv = env[envName(name)];
    if (given !== undefined) options[name] = given;
    else if (fromEnv !== undefined && fromEnv !== '') options[name] = spec.type === 'boolean' ? /^(1|true|yes)$/i.test(fromEnv) : fromEnv;
    else options[name] = spec.default;
  }
  return { options, positionals: parsed.positionals };
}

export function formatHelp(usage: string, summary: string, specs: OptionSpecs, footer = ''): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = `  --${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${String(spec.default)})` : '';
    return `${left.padEnd(30)} ${spec.description}${def}`;
  });
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${rows.join('\n')}\n  ${'--help'.padEnd(28)} Show this help\n\nEvery option can also be set as FLOTILLA_<OPTION> in the environment (e.g. FLOTILLA_REPO).\n${footer}`;
}
