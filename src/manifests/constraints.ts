// Swarm placement constraints (`node.name==a`, `node.labels.zone!=b`): parsing, and
// matching against the nodes a cluster declares. Shared by validation and the scheduler.
import type { NodeSpec, PlacementConstraint } from './model.js';

export type ConstraintParse = { ok: true; constraint: PlacementConstraint } | { ok: false; message: string };

export function parseConstraint(text: string): ConstraintParse {
  const match = /^\s*([A-Za-z0-9_.-]+)\s*(==|!=)\s*(\S(?:.*\S)?)\s*$/.exec(text);
  if (!match) {
    // `node.labels.zone = a` is the commonest slip: Swarm compares with == and != only.
    const single = /^\s*[A-Za-z0-9_.-]+\s*=\s*[^=]/.test(text) ? '; compare with == or != (a single = is not an operator)' : '';
    return { ok: false, message: `constraint ${JSON.stringify(text)} is not of the form "node.name==x" or "node.labels.key!=y"${single}` };
  }
  const [, attribute, operator, value] = match as unknown as [string, string, '==' | '!=', string];
  if (attribute === 'node.name' || attribute === 'node.hostname') {
    return { ok: true, constraint: { field: 'name', operator, value, text } };
  }
  if (attribute.startsWith('node.labels.') && attribute.length > 'node.labels.'.length) {
    return { ok: true, constraint: { field: 'label', labelKey: attribute.slice('node.labels.'.length), operator, value, text } };
  }
  return {
    ok: false,
    message: `constraint ${JSON.stringify(text)} uses "${attribute}"; Flotilla supports node.name, node.hostname and node.labels.<key>`,
  };
}

export function nodeMatches(node: NodeSpec, constraints: readonly PlacementConstraint[]): boolean {
  return constraints.every((c) => {
    const actual = c.field === 'name' ? node.name : node.labels[c.labelKey as string];
    return c.operator === '==' ? actual === c.value : actual !== c.value;
  });
}
