import { PolicyEvaluationError, type PolicyDecision, type PolicyEvaluator } from './policies/policy.js';
import type { TraceData } from './trace-data.js';

export type FinalDecision = 'sampled' | 'not_sampled' | 'dropped';

export interface TraceVerdict {
  decision: FinalDecision;
  /** The policy that decided: the first that sampled, the drop or vetoing policy; null when none matched. */
  policy: string | null;
  /** 1/p when a ratio policy decided to sample; null when the decision says nothing about rates. */
  adjustedCount: number | null;
}

export interface NamedPolicy {
  name: string;
  /** drop policies are evaluated before every other. */
  isDrop: boolean;
  evaluator: PolicyEvaluator;
}

export type DecisionCounter = (policy: string, decision: PolicyDecision) => void;
export type EvaluationErrorCounter = (policy: string, error: PolicyEvaluationError) => void;

/**
 * The Collector's final decision: any drop → dropped; else an inverted "not sampled" vetoes;
 * else any sampled → sampled; else an inverted "sampled" samples when no policy said not
 * sampled; else not sampled. With `sampleOnFirstMatch` evaluation stops at the first policy
 * that samples, and that policy decides. A policy that fails to evaluate (PolicyEvaluationError)
 * is left out, as the Collector leaves it out: it neither samples nor counts as "not sampled".
 */
export function decideTrace(
  policies: readonly NamedPolicy[],
  trace: TraceData,
  sampleOnFirstMatch: boolean,
  count?: DecisionCounter,
  countError?: EvaluationErrorCounter,
): TraceVerdict {
  let dropped: NamedPolicy | undefined;
  let vetoed: NamedPolicy | undefined;
  let sampled: NamedPolicy | undefined;
  let invertSampled: NamedPolicy | undefined;
  let notSampled = false;
  let firstMatch: NamedPolicy | undefined;

  for (const policy of policies) {
    let decision: PolicyDecision;
    try {
      decision = policy.evaluator.evaluate(trace);
    } catch (error) {
      if (!(error instanceof PolicyEvaluationError)) throw error;
      countError?.(policy.name, error);
      continue;
    }
    count?.(policy.name, decision);
    if (decision === 'dropped') {
      dropped = policy;
      break;
    }
    if (decision === 'sampled') sampled ??= policy;
    else if (decision === 'invert_sampled') invertSampled ??= policy;
    else if (decision === 'invert_not_sampled') vetoed ??= policy;
    else notSampled = true;
    if (sampleOnFirstMatch && (decision === 'sampled' || decision === 'invert_sampled')) {
      firstMatch = policy;
      break;
    }
  }

  if (dropped) return { decision: 'dropped', policy: dropped.name, adjustedCount: null };
  if (sampleOnFirstMatch) {
    return firstMatch ? sampledBy(firstMatch) : { decision: 'not_sampled', policy: null, adjustedCount: null };
  }
  if (vetoed) return { decision: 'not_sampled', policy: vetoed.name, adjustedCount: null };
  if (sampled) return sampledBy(sampled);
  if (invertSampled && !notSampled) return sampledBy(invertSampled);
  return { decision: 'not_sampled', policy: null, adjustedCount: null };
}

function sampledBy(policy: NamedPolicy): TraceVerdict {
  return { decision: 'sampled', policy: policy.name, adjustedCount: policy.evaluator.adjustedCount ?? null };
}

/** Drop policies first, the rest in configured order. */
export function orderPolicies(policies: NamedPolicy[]): NamedPolicy[] {
  return [...policies.filter((p) => p.isDrop), ...policies.filter((p) => !p.isDrop)];
}
