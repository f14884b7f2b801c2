// Checks of `spec.notifications` that need no file or environment. A credential written in
// Git fails cluster.yaml validation (normalize-cluster.ts), so a config repo's CI refuses a
// pasted Slack URL before merge and the daemon never applies it; `flotilla validate` prints
// the rest as warnings. The dispatcher checks the same again when it reads the secrets.
import type { NotificationSpec } from '../manifests/model.js';
import type { SecretName } from './options.js';

export interface NotificationOptionProblem {
  /** The option the problem is about, e.g. `url`; undefined for the entry as a whole. */
  key?: string;
  /**
   * `credential`: a secret written in Git, refused like any policy violation (the commit is
   * never applied). `incomplete`: the notification cannot work as written; a warning, since
   * a notification never holds up a deploy (DESIGN.md) and the daemon counts it as
   * `misconfigured`.
   */
  severity: 'credential' | 'incomplete';
  message: string;
}

/** What each provider needs: the secrets, and whether each may be written inline. */
const NEEDS: Record<NotificationSpec['provider'], Array<{ name: SecretName; inline: boolean }>> = {
  slack: [{ name: 'url', inline: false }],
  webhook: [{ name: 'url', inline: true }, { name: 'secret', inline: false }],
  github: [{ name: 'token', inline: false }],
  gitlab: [{ name: 'token', inline: false }],
};

export function notificationOptionProblems(spec: NotificationSpec): NotificationOptionProblem[] {
  const problems: NotificationOptionProblem[] = [];
  // hasOwn: the provider comes from the document, and "constructor" must not find Object's.
  const needs = Object.hasOwn(NEEDS, spec.provider) ? NEEDS[spec.provider] : [];
  for (const { name, inline } of needs) {
    const given = [name, `${name}File`, `${name}Env`].filter((key) => spec.options[key] !== undefined);
    if (given.length > 1) problems.push({ key: given[1], severity: 'incomplete', message: `notification ${spec.name}: give only one of ${given.join(', ')}` });
    if (spec.options[name] !== undefined && !inline) {
      problems.push({ key: name, severity: 'credential', message: `notification ${spec.name}: the ${spec.provider} ${name} is a credential and must not be written in Git; put it in a file on the daemon's host (${name}File) or in its environment (${name}Env)` });
    } else if (given.length === 0) {
      problems.push({ severity: 'incomplete', message: `notification ${spec.name}: the ${spec.provider} provider needs ${inline ? `${name}, ` : ''}${name}File or ${name}Env` });
    }
  }
  const targetProblem = forgeTargetProblem(spec);
  if (targetProblem !== undefined) {
    problems.push({ severity: 'incomplete', message: `notification ${spec.name}: ${targetProblem}` });
  }
  const url = spec.options.url;
  if (spec.provider === 'webhook' && typeof url === 'string' && carriesCredentials(url)) {
    problems.push({ key: 'url', severity: 'credential', message: `notification ${spec.name}: this webhook URL carries a user, password or query string, which may be a credential; give it with urlFile or urlEnv instead` });
  }
  return problems;
}

/** A GitHub (or Gitea) repository as the API names it. */
const OWNER_NAME = /^[^/\s]+\/[^/\s]+$/;

/**
 * What is wrong with the repository (github) or project (gitlab) a forge provider sets
 * statuses on; undefined when it is fine or the provider is neither. The provider factories
 * call it too, so `flotilla validate` warns about exactly what the daemon would refuse.
 */
export function forgeTargetProblem(spec: NotificationSpec): string | undefined {
  if (spec.provider === 'github') {
    const repository = spec.options.repository;
    return typeof repository === 'string' && OWNER_NAME.test(repository) ? undefined : 'the github provider needs repository: owner/name';
  }
  if (spec.provider === 'gitlab') {
    const project = spec.options.project;
    return typeof project === 'string' && project.trim() !== '' ? undefined : 'the gitlab provider needs project: a project id or group/project path';
  }
  return undefined;
}

/** Whether a URL has a user, password or query string: the places a webhook URL hides a credential. */
export function carriesCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '' || parsed.search !== '';
  } catch {
    return false;
  }
}
