// `flotilla plan` for a terminal: changes grouped by stack and service, each with its node
// and reason, then what policy withheld, what cannot be placed, conflicts, unreachable
// nodes, and a Terraform-like summary line.
import type { EnginePlan } from '../../engine/engine.js';
import type { ChangeLine } from './plan-view.js';
import { changesByService, hasChanges, noChangesSentence, summaryLine, unreachableNodes, withheldByReason } from './plan-view.js';

const SIGN: Record<ChangeLine['action'], string> = { create: '+', replace: '~', start: '>', remove: '-', 'service-create': '+', 'service-update': '~', 'service-remove': '-' };

export function renderPlanText(plan: EnginePlan): string {
  const out: string[] = [`Flotilla plan for cluster ${plan.cluster} at ${plan.revision} (${plan.mode})`, ''];
  const groups = changesByService(plan);
  for (const g of groups) {
    out.push(`${g.stack}/${g.service}${g.declared ? '' : ' (no longer declared)'}`);
    for (const line of g.lines) out.push(formatLine(line));
    out.push('');
  }
  for (const group of withheldByReason(plan)) {
    out.push(`Not applied (${group.because}):`, ...group.lines.map(formatLine), '');
  }
  section(out, 'Cannot be placed:', plan.unplaceable.map((u) => u.reason));
  section(out, 'Conflicts (left alone):', plan.drift.conflicts.map((c) => c.message));
  section(out, 'Unreachable nodes:', unreachableNodes(plan));
  if (!hasChanges(plan)) out.push(noChangesSentence(plan));
  out.push(summaryLine(plan));
  return `${out.join('\n')}\n`;
}

function formatLine(l: ChangeLine): string {
  const verb = l.verb.length < 8 ? l.verb.padEnd(8) : `${l.verb} `;
  const head = `  ${SIGN[l.action] ?? '*'} ${verb}${l.container} on ${l.node}: ${l.reason}`;
  return [head, ...(l.diff ?? []).map((c) => `      ${c.field}: ${c.from} -> ${c.to}`)].join('\n');
}

function section(out: string[], title: string, lines: string[]): void {
  if (lines.length === 0) return;
  out.push(title, ...lines.map((l) => `  ${l}`), '');
}
