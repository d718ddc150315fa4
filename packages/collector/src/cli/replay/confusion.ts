import type { PolicyVerdict } from './policy-verdict.js';

/**
 * Old outcome against new: the confusion table of a replay, its totals, and a few examples of
 * what changed. Pure: it is fed one replayed decision at a time and keeps only counts and a
 * bounded number of examples, so a replay over millions of decisions runs in constant memory.
 */
export interface ReplayedDecision {
  id: string;
  tenant: string;
  /** The stored outcome; null when the decision has none. */
  oldOutcome: string | null;
  verdict: PolicyVerdict;
  evidence: Record<string, unknown>;
}

export interface Transition {
  old: string | null;
  new: string;
  count: number;
}

export interface ErrorCount {
  old: string | null;
  count: number;
}

export interface ChangedExample {
  id: string;
  tenant: string;
  old: string | null;
  new: string;
  reason: string | null;
  /** The evidence the policy named (absent keys as null); null when it named none. */
  evidence: Record<string, unknown> | null;
}

export interface ErrorExample {
  id: string;
  tenant: string;
  old: string | null;
  error: string;
}

export interface ReplayComparison {
  total: number;
  /** Decisions the policy gave an outcome (total minus errors). */
  decided: number;
  unchanged: number;
  changed: number;
  errors: number;
  /** changed / decided; null when the policy decided nothing. */
  changed_share: number | null;
  /** Every (old, new) pair the policy produced, most frequent first. */
  transitions: Transition[];
  /** Policy errors by old outcome, most frequent first. */
  errors_by_old: ErrorCount[];
  /** Changed decisions, one of each kind of change before a second of any. */
  examples: ChangedExample[];
  error_examples: ErrorExample[];
}

export class OutcomeComparison {
  private total = 0;
  private readonly transitions = new Map<string, Transition>();
  private readonly errorsByOld = new Map<string | null, ErrorCount>();
  /** Per kind of change (old -> new), the first examples met, in arrival order. */
  private readonly changedExamples = new Map<string, ChangedExample[]>();
  private readonly errorExamples: ErrorExample[] = [];

  constructor(private readonly maxExamples = 5) {}

  add(decision: ReplayedDecision): void {
    this.total++;
    const { verdict, oldOutcome } = decision;
    if (verdict.kind === 'error') {
      const count = this.errorsByOld.get(oldOutcome) ?? { old: oldOutcome, count: 0 };
      count.count++;
      this.errorsByOld.set(oldOutcome, count);
      if (this.errorExamples.length < this.maxExamples) {
        this.errorExamples.push({ id: decision.id, tenant: decision.tenant, old: oldOutcome, error: verdict.message });
      }
      return;
    }
    const key = transitionKey(oldOutcome, verdict.outcome);
    const transition = this.transitions.get(key) ?? { old: oldOutcome, new: verdict.outcome, count: 0 };
    transition.count++;
    this.transitions.set(key, transition);
    if (verdict.outcome === oldOutcome) return;
    const examples = this.changedExamples.get(key) ?? [];
    if (examples.length >= this.maxExamples) return;
    examples.push({
      id: decision.id,
      tenant: decision.tenant,
      old: oldOutcome,
      new: verdict.outcome,
      reason: verdict.reason,
      evidence: verdict.evidenceKeys.length === 0 ? null : pick(decision.evidence, verdict.evidenceKeys),
    });
    this.changedExamples.set(key, examples);
  }

  result(): ReplayComparison {
    const transitions = [...this.transitions.values()].sort(byCountThenOutcomes);
    const errorsByOld = [...this.errorsByOld.values()].sort((a, b) => b.count - a.count || compareOutcomes(a.old, b.old));
    const errors = errorsByOld.reduce((sum, e) => sum + e.count, 0);
    const decided = this.total - errors;
    const unchanged = transitions.filter((t) => t.old === t.new).reduce((sum, t) => sum + t.count, 0);
    const changed = decided - unchanged;
    return {
      total: this.total,
      decided,
      unchanged,
      changed,
      errors,
      changed_share: decided === 0 ? null : changed / decided,
      transitions,
      errors_by_old: errorsByOld,
      examples: this.spreadExamples(transitions),
      error_examples: [...this.errorExamples],
    };
  }

  /** Round-robin over the kinds of change, most frequent first, up to maxExamples in all. */
  private spreadExamples(transitions: Transition[]): ChangedExample[] {
    const queues = transitions.filter((t) => t.old !== t.new).map((t) => [...(this.changedExamples.get(transitionKey(t.old, t.new)) ?? [])]);
    const picked: ChangedExample[] = [];
    while (picked.length < this.maxExamples && queues.some((q) => q.length > 0)) {
      for (const queue of queues) {
        const next = queue.shift();
        if (next !== undefined && picked.length < this.maxExamples) picked.push(next);
      }
    }
    return picked;
  }
}

/** The outcomes of a comparison as table rows (old) and columns (new), in one shared order. */
export interface ConfusionAxes {
  rows: Array<string | null>;
  columns: string[];
}

/**
 * Rows are the old outcomes met, columns the new ones; both follow one order (most frequent
 * overall first, then by name, "no outcome" last), so unchanged decisions line up on the diagonal.
 */
export function confusionAxes(comparison: Pick<ReplayComparison, 'transitions' | 'errors_by_old'>): ConfusionAxes {
  const weight = new Map<string | null, number>();
  const add = (outcome: string | null, count: number) => weight.set(outcome, (weight.get(outcome) ?? 0) + count);
  for (const t of comparison.transitions) {
    add(t.old, t.count);
    add(t.new, t.count);
  }
  for (const e of comparison.errors_by_old) add(e.old, e.count);
  const order = [...weight.keys()].sort((a, b) => {
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    return weight.get(b)! - weight.get(a)! || compareOutcomes(a, b);
  });
  const olds = new Set<string | null>([...comparison.transitions.map((t) => t.old), ...comparison.errors_by_old.map((e) => e.old)]);
  const news = new Set(comparison.transitions.map((t) => t.new));
  return {
    rows: order.filter((outcome) => olds.has(outcome)),
    columns: order.filter((outcome): outcome is string => outcome !== null && news.has(outcome)),
  };
}

/** Decisions that went from `old` to `new` (0 when none did). */
export function transitionCount(comparison: Pick<ReplayComparison, 'transitions'>, old: string | null, next: string): number {
  return comparison.transitions.find((t) => t.old === old && t.new === next)?.count ?? 0;
}

export function errorCount(comparison: Pick<ReplayComparison, 'errors_by_old'>, old: string | null): number {
  return comparison.errors_by_old.find((e) => e.old === old)?.count ?? 0;
}

function pick(evidence: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) picked[key] = Object.hasOwn(evidence, key) ? evidence[key] : null;
  return picked;
}

function transitionKey(old: string | null, next: string): string {
  // JSON keeps null apart from the outcome spelled "null".
  return JSON.stringify([old, next]);
}

function byCountThenOutcomes(a: Transition, b: Transition): number {
  return b.count - a.count || compareOutcomes(a.old, b.old) || compareOutcomes(a.new, b.new);
}

function compareOutcomes(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
