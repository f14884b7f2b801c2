// GitHub (and GitHub Enterprise): `X-Hub-Signature-256: sha256=<hex>` over the raw body,
// `X-GitHub-Event` names the event, `X-GitHub-Delivery` the delivery (kept on redelivery).
// Pull requests are reviewed on opened / synchronize / reopened; their head is fetched from
// the base repository's refs/pull/N/head, which also works for pull requests from forks.
import { at, quote, bool, isCommitId, positiveInt, str, strings, ZERO_COMMIT } from './payload-fields.js';
import { verifyHmacHeader } from './signature.js';
import { singleRefPush, type RepoCandidates, type WebhookEvent, type WebhookProvider } from './types.js';

const REVIEWED_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

export const githubProvider: WebhookProvider = {
  name: 'github',
  acceptsForm: true,
  authenticate: (req, secret) => verifyHmacHeader(req.headers['x-hub-signature-256'], 'sha256=', secret, req.body),
  deliveryId: (req) => req.headers['x-github-delivery'],
  interpret(req, payload): WebhookEvent {
    const event = req.headers['x-github-event'];
    if (event === 'push') {
      return singleRefPush(githubRepo(at(payload, 'repository')), str(payload, 'ref'), bool(payload, 'deleted') === true || ZERO_COMMIT.test(str(payload, 'after') ?? ''));
    }
    if (event === 'pull_request') return githubStylePullRequest(payload, 'github', REVIEWED_ACTIONS);
    return { kind: 'ignored', reason: `event ${quote(event)} is not handled` };
  },
};

/** GitHub and Gitea describe repositories alike. */
export function githubRepo(repo: unknown): RepoCandidates {
  return { urls: strings(str(repo, 'clone_url'), str(repo, 'ssh_url'), str(repo, 'html_url'), str(repo, 'git_url')), fullNames: strings(str(repo, 'full_name')) };
}

/** A `pull_request` payload of GitHub or Gitea (same fields, different action names). */
export function githubStylePullRequest(payload: Record<string, unknown>, provider: 'github' | 'gitea', reviewed: ReadonlySet<string>): WebhookEvent {
  const action = str(payload, 'action') ?? '';
  if (!reviewed.has(action)) return { kind: 'ignored', reason: `pull_request action ${quote(action)} needs no review` };
  const number = positiveInt(payload, 'number') ?? positiveInt(payload, 'pull_request', 'number');
  const headSha = str(payload, 'pull_request', 'head', 'sha');
  const baseBranch = str(payload, 'pull_request', 'base', 'ref');
  const base = at(payload, 'pull_request', 'base', 'repo') ?? at(payload, 'repository');
  const apiRepository = str(base, 'full_name');
  if (number === undefined || !isCommitId(headSha) || baseBranch === undefined || apiRepository === undefined) {
    return { kind: 'ignored', reason: 'pull_request payload lacks the number, head sha, base ref or repository' };
  }
  const title = str(payload, 'pull_request', 'title');
  const url = str(payload, 'pull_request', 'html_url');
  return {
    kind: 'pull_request', provider, repository: githubRepo(base), apiRepository, number, action, headSha: headSha.toLowerCase(),
    headRef: `refs/pull/${number}/head`, baseBranch, ...(title !== undefined ? { title } : {}), ...(url !== undefined ? { url } : {}),
  };
}
