import type { Actor, CausalLink } from './event.js';
import type { ContractViolation, RecordFlag, RedactionEntry } from './decision-notes.js';
import type { TokenUsage } from './token-usage.js';

export type DecisionStatus = 'pending' | 'decided' | 'errored';

export interface PolicyCheck {
  policy: string;
  /** The current result: the last check of this policy applied. */
  result: unknown;
  inputs?: unknown;
  /**
   * Present once the policy was checked more than once: every check in the order applied, the
   * last one being `result`/`inputs` (a re-check never erases what the first check said).
   */
  history?: Array<{ result: unknown; inputs?: unknown }>;
}

/** One record per decision id, JSON in snake_case as the API returns it. */
export interface DecisionRecord {
  id: string;
  trace_id: string | null;
  span_id: string | null;
  parent_decision_id: string | null;
  causal_links: CausalLink[];
  type: string | null;
  version: string | null;
  tenant: string;
  environment: string | null;
  actor: Actor | null;
  evidence: Record<string, unknown>;
  policy_checks: PolicyCheck[];
  actions: unknown[];
  approvals: unknown[];
  outcome: string | null;
  confidence: number | null;
  /** An array, or the raw string when it was not valid JSON (then flagged). */
  alternatives: unknown[] | string | null;
  /** An object, or the raw string when it was not valid JSON (then flagged). */
  factors: Record<string, unknown> | string | null;
  error: unknown | null;
  evaluations: unknown[];
  status: DecisionStatus;
  start_time: string | null;
  end_time: string | null;
  duration_ms: number | null;
  service_name: string | null;
  flags: RecordFlag[];
  /**
   * Whether the decision's trace was kept by the trace samplers: false as soon as any sampler
   * dropped it, true when samplers kept it, null when no sampler said anything.
   */
  trace_sampled: boolean | null;
  /** How many traces the decision's trace stands for (1/p under ratio sampling); null when unknown. */
  adjusted_count: number | null;
  /** Contract violations found by the decision registry (union over the events). */
  violations: ContractViolation[];
  /** Fields redacted or truncated before the decision was built (union over the events). */
  redactions: RedactionEntry[];
  /**
   * What the LLM calls beneath the decision's span cost, not counting those beneath a nested
   * decision (token-rollup.ts); null while no such call is known. Kept by the store from the
   * trace's context spans, not by the events.
   */
  token_usage: TokenUsage | null;
  /** The same including the calls beneath nested decisions (each call once); null if none. */
  token_usage_with_nested: TokenUsage | null;
  /** Number of distinct ledger events folded into this record. */
  event_count: number;
  /** RFC 3339 of the last event applied. */
  updated_at: string;
}
