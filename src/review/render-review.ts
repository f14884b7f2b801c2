// The review as reviewers see it: one pull-request comment (found again by a hidden
// marker, so each push edits it) and one commit status line. Both fit the forge's limits:
// the status description is cut with an ellipsis, the comment at a line boundary with a
// pointer to the full plan.
import { formatProblem, type ManifestProblem } from '../manifests/problems.js';
import type { EnginePlan } from '../engine/engine.js';
import { renderPlanMarkdown } from '../reconcile/report/render-plan-markdown.js';
import type { CommitState } from './poster.js';
import type { ReviewOutcome } from './plan-review.js';

export const PLAN_STATUS_CONTEXT = 'flotilla/plan';

/** Hidden in the rendered comment; one per cluster, so several daemons can review one repository. */
export function planMarker(cluster: string): string {
  return `<!-- flotilla-plan:${cluster.replace(/[^\w.-]/g, '-')} -->`;
}

/** "2 to create, 1 to replace" (only the non-zero counts), or "No changes". */
export function changeSummary(plan: EnginePlan): string {
  const s = plan.summary;
  const parts = [[s.create, 'to create'], [s.replace, 'to replace'], [s.remove, 'to remove'], [s.start, 'to start']].filter(([n]) => Number(n) > 0).map(([n, what]) => `${n} ${what}`);
  if (s.unplaceable > 0) parts.push(`${s.unplaceable} cannot be placed`);
  return parts.length === 0 ? 'No changes' : parts.join(', ');
}

export function reviewStatus(outcome: ReviewOutcome, maxLength: number): { state: CommitState; description: string } {
  switch (outcome.kind) {
    case 'planned':
      return { state: 'success', description: cut(changeSummary(outcome.plan), maxLength) };
    case 'invalid': {
      const n = outcome.problems.length;
      const list = outcome.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('; ');
      return { state: 'failure', description: cut(`${n} validation error${n === 1 ? '' : 's'}: ${list}`, maxLength) };
    }
    case 'error':
      return { state: 'error', description: cut(`Could not plan: ${outcome.message}`, maxLength) };
  }
}

export function reviewComment(outcome: ReviewOutcome, maxLength: number): string {
  const marker = planMarker(outcome.cluster);
  const footer = `<sub>Flotilla reviews every push to this pull request and edits this comment. Plan of \`${outcome.revision}\`.</sub>\n`;
  let body: string;
  switch (outcome.kind) {
    case 'planned':
      body = renderPlanMarkdown(outcome.plan) + notes(outcome.notes);
      break;
    case 'invalid':
      body = invalidBody(outcome.cluster, outcome.revision, outcome.problems);
      break;
    case 'error':
      body = `### Flotilla plan for \`${outcome.cluster}\` at \`${outcome.revision}\`\n\n**⚠️ Flotilla could not plan this pull request:** ${inline(outcome.message)}\n`;
      break;
  }
  const tail = `\n${footer}`;
  return fit(`${marker}\n${body}`, tail, maxLength, outcome.revision);
}

function invalidBody(cluster: string, revision: string, problems: ManifestProblem[]): string {
  const n = problems.length;
  const lines = problems.map((p) => `- ${inline(formatProblem(p))}`);
  return `### Flotilla plan for \`${cluster}\` at \`${revision}\`\n\n**❌ ${n} validation error${n === 1 ? '' : 's'}: this commit would not be applied.**\n\n${lines.join('\n')}\n`;
}

function notes(list: string[]): string {
  return list.length === 0 ? '' : `\n**Not observed**\n\n${list.map((l) => `- ${l}`).join('\n')}\n`;
}

/** Cuts the body at a line boundary so that body + tail fits, closing a cut-open <details>. */
function fit(body: string, tail: string, maxLength: number, revision: string): string {
  if (body.length + tail.length <= maxLength) return body + tail;
  const notice = `\n\n**… cut short: the plan is longer than a comment may be.** Run \`flotilla plan --ref ${revision} --format markdown\` for all of it.\n`;
  const room = Math.max(0, maxLength - tail.length - notice.length - '\n</details>'.length);
  let kept = body.slice(0, room);
  const newline = kept.lastIndexOf('\n');
  if (newline > 0) kept = kept.slice(0, newline);
  const open = (kept.match(/<details>/g) ?? []).length - (kept.match(/<\/details>/g) ?? []).length;
  return `${kept}${open > 0 ? '\n</details>' : ''}${notice}${tail}`.slice(0, maxLength);
}

/** One line of Markdown text: no HTML, no line breaks. */
function inline(text: string): string {
  return text.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

function cut(text: string, maxLength: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= maxLength ? flat : `${flat.slice(0, maxLength - 1)}…`;
}
