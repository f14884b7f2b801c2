// `flotilla plan`: what a reconcile would do to the live fleet for a commit, without doing
// it. Exit 0 no changes; with --detailed-exitcode 2 when there are changes; 1 on error.
// With --base REF it compares two commits instead, without any node access (for CI systems
// that cannot reach the fleet): the head is planned against the fleet as the base commit
// would leave it.
import { ageKeyring } from './age-key-option.js';
import { resolve } from 'node:path';
import { loadDesiredState } from '../manifests/load.js';
import { readDigestKey } from '../manifests/file-digest.js';
import { formatProblem } from '../manifests/problems.js';
import { EngineNode } from '../docker/engine-node.js';
import { planningEngine } from '../engine/planning-engine.js';
import { renderPlanText } from '../reconcile/report/render-plan-text.js';
import { renderPlanMarkdown } from '../reconcile/report/render-plan-markdown.js';
import { withEmptyNodes } from '../review/synthetic-observed.js';
import type { ObservedState } from '../docker/types.js';
import { formatHelp, parseOptions, UsageError, type OptionSpecs } from './options.js';
import { repoOpener, REF_OPTION, REPO_OPTIONS } from './repo-options.js';
import type { CommandIO } from './io.js';
import { planJson } from '../reconcile/report/plan-json.js';

const OPTIONS: OptionSpecs = {
  ...REPO_OPTIONS,
  ...REF_OPTION,
  base: { type: 'string', value: 'REF', description: 'Compare with the desired state of this commit instead of the live fleet (no node access)' },
  format: { type: 'string', default: 'text', value: 'text|markdown|json', description: 'Output format' },
  'detailed-exitcode': { type: 'boolean', default: false, description: 'Exit 2 when the plan has changes (0 none, 1 error)' },
};

export const planHelp = formatHelp(
  'flotilla plan [--repo URL|DIR] [--ref REF] [--base REF] [--path P] [--format text|markdown|json] [--detailed-exitcode]',
  'Validates a commit, observes every node, and prints what a reconcile would create, replace\nand remove, on which node and why. Changes nothing. With --base, compares with the fleet as\nthe base commit would leave it, without contacting any node (e.g. --ref HEAD --base main in CI).',
  OPTIONS,
  '\nExit status: 0 no changes (or changes without --detailed-exitcode), 2 changes with --detailed-exitcode, 1 error.\n',
);

export async function planCommand(argv: string[], io: CommandIO): Promise<number> {
  const { options } = parseOptions(argv, OPTIONS, io.env);
  const format = options.format as string;
  if (!['text', 'markdown', 'json'].includes(format)) throw new UsageError(`--format must be text, markdown or json, got ${format}`);
  const clusterPath = options.path as string | undefined;
  const open = repoOpener(options, io.env);
  // The daemon's key when this runs beside it, so secret digests compare with the fleet's.
  const digestKey = await readDigestKey(resolve(options['state-dir'] as string));
  const ageKeys = ageKeyring(options, io.env);
  const loadOptions = { ...(digestKey ? { digestKey } : {}), ...(ageKeys ? { ageKeys } : {}) };
  const loaded = await loadDesiredState(await open(options.ref as string | undefined), clusterPath, loadOptions);
  if (!loaded.state) {
    for (const p of loaded.problems) io.err(formatProblem(p));
    io.err(`${loaded.clusterPath}: ${loaded.problems.length} validation error(s); nothing planned`);
    return 1;
  }
  const desired = loaded.state;
  const base = options.base as string | undefined;
  // The engine the commit's cluster.yaml names: containers per node on plain hosts, services on a swarm.
  const engine = planningEngine((spec) => EngineNode.fromSpec(spec));
  let observed: ObservedState;
  if (base !== undefined) {
    const baseLoaded = await loadDesiredState(await open(base), clusterPath ?? loaded.clusterPath, loadOptions);
    if (!baseLoaded.state) {
      for (const p of baseLoaded.problems) io.err(formatProblem(p));
      io.err(`--base ${base}: ${baseLoaded.problems.length} validation error(s) at the base; nothing to compare with`);
      return 1;
    }
    const applied = engine.applied(baseLoaded.state);
    observed = { ...applied, ...withEmptyNodes(applied, desired.cluster.nodes.map((n) => n.name)) };
  } else {
    observed = await engine.observe(desired);
  }
  const plan = engine.plan(desired, observed, { selfHeal: desired.cluster.sync.selfHeal, prune: desired.cluster.sync.prune, commit: desired.revision, mode: 'sync' });
  io.out(format === 'json' ? planJson(plan) : format === 'markdown' ? renderPlanMarkdown(plan) : renderPlanText(plan));
  const changes = plan.actions.length > 0;
  return options['detailed-exitcode'] && changes ? 2 : 0;
}

