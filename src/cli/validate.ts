// `flotilla validate`: checks a config repo (or one commit of it) without touching any
// node, for a config repo's own CI. Exit 0 when valid, 1 when not.
import { loadDesiredState } from '../manifests/load.js';
import { formatProblem } from '../manifests/problems.js';
import { formatHelp, parseOptions, UsageError, type OptionSpecs } from './options.js';
import { repoOpener, REF_OPTION, REPO_OPTIONS } from './repo-options.js';
import type { CommandIO } from './io.js';
import { ageKeyring } from './age-key-option.js';

const OPTIONS: OptionSpecs = {
  ...REPO_OPTIONS,
  ...REF_OPTION,
  format: { type: 'string', default: 'text', value: 'text|json', description: 'Output format' },
};

export const validateHelp = formatHelp(
  'flotilla validate [--repo URL|DIR] [--ref REF] [--path clusters/NAME] [--format text|json]',
  'Validates the cluster and every stack it references: schemas, interpolation, placement,\npolicy. Prints every error as file:line:col so an editor can jump to it.',
  OPTIONS,
  '\nExit status: 0 valid, 1 invalid (or the repository could not be read).\n',
);

export async function validateCommand(argv: string[], io: CommandIO): Promise<number> {
  const { options } = parseOptions(argv, OPTIONS, io.env);
  const format = options.format as string;
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got ${format}`);
  const reader = await repoOpener(options, io.env)(options.ref as string | undefined);
  const ageKeys = ageKeyring(options, io.env);
  const result = await loadDesiredState(reader, options.path as string | undefined, ageKeys ? { ageKeys } : {});
  // Not errors (an incomplete notification never holds up a deploy), but CI should say so.
  const warnings = result.warnings ?? [];
  if (format === 'json') {
    io.out(JSON.stringify({ valid: result.problems.length === 0, revision: reader.revision, cluster: result.clusterPath, errors: result.problems, warnings }, null, 2));
  } else if (result.state) {
    for (const w of warnings) io.err(formatProblem({ ...w, message: `warning: ${w.message}` }));
    const services = result.state.stacks.reduce((n, s) => n + s.services.length, 0);
    io.out(`${result.clusterPath}: valid (${result.state.cluster.nodes.length} node(s), ${result.state.stacks.length} stack(s), ${services} service(s)) at ${reader.revision}`);
  } else {
    for (const problem of result.problems) io.err(formatProblem(problem));
    io.err(`${result.clusterPath}: ${result.problems.length} error${result.problems.length === 1 ? '' : 's'} at ${reader.revision}`);
  }
  return result.problems.length === 0 ? 0 : 1;
}
