import { compareExactInstants, parseExactInstant, type DecisionRecord } from '@decision-trace/model';
import { formatValue } from './format.js';

/**
 * Renders the decisions of one trace as a tree (parent → children), each with its evidence,
 * policy checks and outcome; `focus` marks the decision the user asked for.
 */
export function renderDecisionTree(decisions: DecisionRecord[], focus: string): string {
  const byId = new Map(decisions.map((d) => [d.id, d]));
  const children = new Map<string, DecisionRecord[]>();
  const roots: DecisionRecord[] = [];
  for (const d of decisions) {
    if (d.parent_decision_id && byId.has(d.parent_decision_id) && d.parent_decision_id !== d.id) {
      const list = children.get(d.parent_decision_id) ?? [];
      list.push(d);
      children.set(d.parent_decision_id, list);
    } else {
      roots.push(d);
    }
  }
  // By instant, not by text: times keep the precision and offset they were given.
  const byStart = (a: DecisionRecord, b: DecisionRecord) => compareStartTimes(a.start_time, b.start_time);
  const lines: string[] = [];
  const seen = new Set<string>();
  const walk = (d: DecisionRecord, prefix: string, last: boolean, depth: number) => {
    if (seen.has(d.id)) return;
    seen.add(d.id);
    const branch = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    const mark = d.id === focus ? '* ' : '';
    const version = d.version ? ` ${d.version}` : '';
    const outcome = d.outcome ?? `(${d.status})`;
    const confidence = d.confidence === null ? '' : ` (confidence ${d.confidence})`;
    lines.push(`${prefix}${branch}${mark}${d.type ?? '(untyped)'}${version} → ${outcome}${confidence}  [${d.id}]`);
    const inner = prefix + (depth === 0 ? '' : last ? '   ' : '│  ');
    if (d.actor) lines.push(`${inner}   actor: ${d.actor.type ?? '?'} ${d.actor.id ?? '?'}`);
    for (const [key, value] of Object.entries(d.evidence)) lines.push(`${inner}   evidence ${key} = ${formatValue(value)}`);
    for (const check of d.policy_checks) lines.push(`${inner}   policy ${check.policy}: ${formatValue(check.result)}`);
    if (d.alternatives !== null) lines.push(`${inner}   alternatives: ${formatValue(d.alternatives)}`);
    if (d.error !== null) lines.push(`${inner}   error: ${formatValue(d.error)}`);
    for (const flag of d.flags) lines.push(`${inner}   flag ${flag.code} (${flag.field}): ${flag.detail}`);
    const kids = (children.get(d.id) ?? []).sort(byStart);
    kids.forEach((child, i) => walk(child, inner, i === kids.length - 1, depth + 1));
  };
  roots.sort(byStart).forEach((root) => walk(root, '', true, 0));
  return lines.join('\n');
}

/** Unknown times first, as the empty text sorted before any time. */
function compareStartTimes(a: string | null, b: string | null): number {
  const first = a === null ? null : parseExactInstant(a);
  const second = b === null ? null : parseExactInstant(b);
  if (first === null || second === null) return (first === null ? 0 : 1) - (second === null ? 0 : 1);
  return compareExactInstants(first, second);
}
