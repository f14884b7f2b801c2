// GitLab (gitlab.com and self-hosted): a shared token in `X-Gitlab-Token` (no signature),
// `X-Gitlab-Event` names the hook ("Push Hook", "Merge Request Hook"; instance-wide system
// hooks say "System Hook" and carry `object_kind`), `X-Gitlab-Event-UUID` the delivery.
// Merge requests are reviewed on open / update / reopen; the head is fetched from the
// target project's refs/merge-requests/IID/head, which exists for MRs from forks too.
import { at, isCommitId, positiveInt, quote, str, strings, ZERO_COMMIT } from './payload-fields.js';
import { verifyToken } from './signature.js';
import { singleRefPush, type RepoCandidates, type WebhookEvent, type WebhookProvider } from './types.js';

const REVIEWED_ACTIONS = new Set(['open', 'update', 'reopen']);

export const gitlabProvider: WebhookProvider = {
  name: 'gitlab',
  acceptsForm: false,
  authenticate: (req, secret) => verifyToken(req.headers['x-gitlab-token'], secret),
  deliveryId: (req) => req.headers['x-gitlab-event-uuid'],
  interpret(req, payload): WebhookEvent {
    const header = req.headers['x-gitlab-event'];
    const kind = header === 'Push Hook' ? 'push' : header === 'Merge Request Hook' ? 'merge_request' : header === 'System Hook' ? str(payload, 'object_kind') : undefined;
    if (kind === 'push') {
      return singleRefPush(gitlabRepo(at(payload, 'project'), at(payload, 'repository')), str(payload, 'ref'), ZERO_COMMIT.test(str(payload, 'after') ?? ''));
    }
    if (kind !== 'merge_request') return { kind: 'ignored', reason: `event ${quote(header)} is not handled` };
    const attrs = at(payload, 'object_attributes');
    const action = str(attrs, 'action') ?? '';
    if (!REVIEWED_ACTIONS.has(action)) return { kind: 'ignored', reason: `merge request action ${quote(action)} needs no review` };
    // "update" also fires for title, label and assignee edits; only new commits (oldrev) or
    // a new target branch change the plan.
    if (action === 'update' && str(attrs, 'oldrev') === undefined && at(payload, 'changes', 'target_branch') === undefined) {
      return { kind: 'ignored', reason: 'merge request update without new commits or a new target branch' };
    }
    const iid = positiveInt(attrs, 'iid');
    const headSha = str(attrs, 'last_commit', 'id');
    const baseBranch = str(attrs, 'target_branch');
    const projectId = positiveInt(payload, 'project', 'id') ?? positiveInt(attrs, 'target_project_id');
    if (iid === undefined || !isCommitId(headSha) || baseBranch === undefined || projectId === undefined) {
      return { kind: 'ignored', reason: 'merge request payload lacks the iid, last commit, target branch or project id' };
    }
    const title = str(attrs, 'title');
    const url = str(attrs, 'url');
    return {
      kind: 'pull_request', provider: 'gitlab', repository: gitlabRepo(at(attrs, 'target'), at(payload, 'project')), apiRepository: String(projectId), number: iid, action,
      headSha: headSha.toLowerCase(), headRef: `refs/merge-requests/${iid}/head`, baseBranch, ...(title !== undefined ? { title } : {}), ...(url !== undefined ? { url } : {}),
    };
  },
};

function gitlabRepo(...projects: unknown[]): RepoCandidates {
  const urls: string[] = [];
  const fullNames: string[] = [];
  for (const p of projects) {
    urls.push(...strings(str(p, 'git_http_url'), str(p, 'git_ssh_url'), str(p, 'web_url'), str(p, 'http_url'), str(p, 'ssh_url'), str(p, 'url'), str(p, 'homepage')));
    fullNames.push(...strings(str(p, 'path_with_namespace')));
  }
  return { urls, fullNames };
}
