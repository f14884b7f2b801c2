// The plan as a pull-request comment: the summary line first (what a reviewer looks for),
// one table per service, and the rest (withheld, unplaceable, conflicts) folded away.
import type { EnginePlan } from '../../engine/engine.js';
import type { ChangeLine } from './plan-view.js';
import { changesByService, hasChanges, noChangesSentence, summaryLine, unreachableNodes, withheldByReason } from './plan-view.js';

const ICON: Record<ChangeLine['action'], string> = { create: '🟢', replace: '🟡', start: '🔵', remove: '🔴', 'service-create': '🟢', 'service-update': '🟡', 'service-remove': '🔴' };

export function renderPlanMarkdown(plan: EnginePlan): string {
  const out: string[] = [`### Flotilla plan for \`${plan.cluster}\` at \`${plan.revision}\``, '', `**${summaryLine(plan)}**`, ''];
  if (!hasChanges(plan)) out.push(noChangesSentence(plan), '');
  for (const g of changesByService(plan)) {
    out.push(`#### ${esc(`${g.stack}/${g.service}`)}${g.declared ? '' : ' (no longer declared)'}`, '', '| Action | Container | Node | Reason |', '| --- | --- | --- | --- |');
    for (const l of g.lines) out.push(row(l));
    out.push('');
    fieldDiffs(out, g.lines);
  }
  for (const group of withheldByReason(plan)) {
    out.push(`<details><summary>Not applied (${group.lines.length}): ${esc(group.because)}</summary>`, '', '| Action | Container | Node | Reason |', '| --- | --- | --- | --- |');
    for (const l of group.lines) out.push(row(l));
    out.push('', '</details>', '');
  }
  details(out, 'Cannot be placed', plan.unplaceable.map((u) => u.reason));
  details(out, 'Conflicts (left alone)', plan.drift.conflicts.map((c) => c.message));
  details(out, 'Unreachable nodes', unreachableNodes(plan));
  return `${out.join('\n').trimEnd()}\n`;
}

function row(l: ChangeLine): string {
  const icon = ICON[l.action];
  // The verb is the engine's own words ("scaled 2 -> 3"): a lone ">" opens no tag, so it stays readable.
  return `| ${icon ? `${icon} ` : ''}${esc(l.verb).replace(/&gt;/g, '>')} | \`${l.container}\` | ${esc(l.node)} | ${esc(l.reason)} |`;
}

/** A service update's fields as a diff block: what runs now (-) and what Git wants (+). */
function fieldDiffs(out: string[], lines: ChangeLine[]): void {
  const changed = lines.filter((l) => l.diff?.length);
  if (changed.length === 0) return;
  out.push('```diff');
  for (const l of changed) {
    out.push(`# ${fence(l.container)}`);
    for (const c of l.diff ?? []) out.push(`- ${fence(c.field)}: ${fence(c.from)}`, `+ ${fence(c.field)}: ${fence(c.to)}`);
  }
  out.push('```', '');
}

/** A value that held a fence would end the block early. */
function fence(text: string): string {
  return text.replace(/`{3,}/g, (m) => "'".repeat(m.length)).replace(/\r?\n/g, ' ');
}

function details(out: string[], title: string, lines: string[]): void {
  if (lines.length === 0) return;
  out.push(`<details><summary>${title} (${lines.length})</summary>`, '', ...lines.map((l) => `- ${esc(l)}`), '', '</details>', '');
}

/** Table cells break on "|" and newlines; HTML tags would render. */
function esc(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}
