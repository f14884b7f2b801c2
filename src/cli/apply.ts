// `flotilla apply`: one reconcile of the fleet with progress a person can follow, then exit
// 0 when converged, 1 when not. Uses the same state directory as the daemon, so do not run
// it against a fleet a daemon is managing at the same time.
import { resolve } from 'node:path';
import { buildApp } from '../app.js';
import { silentLogger } from '../log.js';
import { formatProblem } from '../manifests/problems.js';
import { formatHelp, parseOptions, type OptionSpecs } from './options.js';
import type { CommandIO } from './io.js';
import { gitToken, REPO_OPTIONS } from './repo-options.js';
import { DOCKER_CONFIG_OPTION, dockerConfigFile } from './docker-config-option.js';
import { ageKeyring } from './age-key-option.js';
import { VERIFY_SIGNATURES_OPTION, verifySignatureKeys } from './verify-signatures-option.js';

const OPTIONS: OptionSpecs = {
  ...REPO_OPTIONS,
  branch: { type: 'string', default: 'main', value: 'NAME', description: 'Branch to apply (of a URL or a local Git repository)' },
  // apply keeps state like the daemon (last good commit, quarantine), so its state dir is more than a cache.
  'state-dir': { type: 'string', default: '.flotilla', value: 'DIR', description: 'Where state.json and the Git cache live' },
  'no-health-gate': { type: 'boolean', default: false, description: 'Do not wait for new containers to be healthy' },
  'docker-config': DOCKER_CONFIG_OPTION,
  'verify-signatures': VERIFY_SIGNATURES_OPTION,
};

export const applyHelp = formatHelp(
  'flotilla apply [--repo URL|DIR] [--branch main] [--path P] [--state-dir .flotilla]',
  'Runs one reconcile: validates the branch head, converges every node to it with the same\nrolling, health-gated machinery as the daemon, and prints each step.',
  OPTIONS,
  '\nExit status: 0 converged, 1 failed (invalid commit, failed rollout, unreachable Git).\n',
);

export async function applyCommand(argv: string[], io: CommandIO): Promise<number> {
  const { options } = parseOptions(argv, OPTIONS, io.env);
  const token = gitToken(options, io.env);
  const dockerConfig = dockerConfigFile(options, io.env);
  const ageKeys = ageKeyring(options, io.env);
  const trustedKeys = verifySignatureKeys(options);
  const started = Date.now();
  const elapsed = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
  const app = await buildApp({
    repo: options.repo as string,
    branch: options.branch as string,
    ...(options.path ? { clusterPath: options.path as string } : {}),
    stateDir: resolve(options['state-dir'] as string),
    ...(token ? { gitToken: token } : {}),
    ...(dockerConfig ? { dockerConfigFile: dockerConfig } : {}),
    ...(ageKeys ? { ageKeys } : {}),
    ...(trustedKeys ? { verifySignatures: trustedKeys } : {}),
    nodeGraceMs: 60_000,
    healthGate: !options['no-health-gate'],
    defaultMetrics: false,
    log: silentLogger(),
    onEvent: (e) => {
      const mark = e.phase === 'failed' ? 'FAILED ' : e.phase === 'done' ? 'done   ' : e.phase === 'start' ? '...    ' : `${e.phase.padEnd(7)}`;
      (e.phase === 'failed' ? io.err : io.out)(`${elapsed()} ${mark}${e.stack}/${e.service}: ${e.message}`);
    },
  });
  io.out(`${elapsed()} applying ${app.source.describe()}`);
  const result = await app.reconciler.reconcile({ reasons: ['apply'], signal: new AbortController().signal });
  const status = app.reconciler.status();
  for (const svc of status.services) {
    const running = svc.replicas.filter((r) => r.state === 'running').length;
    io.out(`${elapsed()} ${svc.inSync ? 'in sync    ' : 'OUT OF SYNC'} ${svc.stack}/${svc.service} ${running}/${svc.desiredReplicas} running${svc.unplaceable.length ? `; ${svc.unplaceable.map((u) => u.reason).join('; ')}` : ''}`);
  }
  for (const node of status.nodes.filter((n) => !n.up)) io.err(`${elapsed()} node ${node.name} is down: ${node.error ?? ''}`);
  if (status.lastError) {
    io.err(`${elapsed()} error [${status.lastError.code}]: ${status.lastError.message}`);
    for (const p of status.lastError.problems ?? []) io.err(`  ${formatProblem(p)}`);
  }
  const converged = (result === 'success' || result === 'unchanged') && status.services.every((s) => s.inSync) && !status.lastError;
  io.out(`${elapsed()} ${converged ? 'converged' : 'not converged'} at ${status.appliedRevision ?? status.trackedRevision ?? '-'} (${result})`);
  return converged ? 0 : 1;
}
