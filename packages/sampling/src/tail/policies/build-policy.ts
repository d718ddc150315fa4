import type { Clock } from '../../clock.js';
import type { AndPolicyConfig, LeafPolicyConfig, PolicyConfig } from '../policy-config.js';
import { BooleanAttributePolicy, NumericAttributePolicy, StringAttributePolicy } from './attribute-policies.js';
import { AndPolicy, CompositePolicy, DropPolicy, NotPolicy, type CompositeMember } from './combinator-policies.js';
import { DecisionPolicy } from './decision-policy.js';
import { BytesLimitingPolicy, RateLimitingPolicy } from './limiting-policies.js';
import type { PolicyEvaluator } from './policy.js';
import { ProbabilisticPolicy } from './probabilistic-policy.js';
import {
  AlwaysSamplePolicy,
  LatencyPolicy,
  SpanCountPolicy,
  StatusCodePolicy,
  TraceFlagsPolicy,
  TraceStatePolicy,
} from './trace-shape-policies.js';

export function buildPolicy(config: PolicyConfig, clock: Clock): PolicyEvaluator {
  switch (config.type) {
    case 'and':
      return buildAnd(config, clock);
    case 'not':
      return new NotPolicy(buildLeafPolicy(config.not.not_sub_policy, clock));
    case 'drop':
      return new DropPolicy(config.drop.drop_sub_policy.map((sub) => buildLeafPolicy(sub, clock)));
    case 'composite': {
      const { composite } = config;
      const byName = new Map(composite.composite_sub_policy.map((sub) => [sub.name, sub]));
      const allocations = rateAllocations(composite);
      const members: CompositeMember[] = composite.policy_order.map((name) => {
        const sub = byName.get(name);
        if (sub === undefined) throw new Error(`composite policy_order names "${name}", which is not a composite_sub_policy`);
        const policy = sub.type === 'and' ? buildAnd(sub, clock) : buildLeafPolicy(sub, clock);
        return { name, policy, allocated: allocations.get(name) ?? 0 };
      });
      return new CompositePolicy(members, composite.max_total_spans_per_second, clock);
    }
    default:
      return buildLeafPolicy(config, clock);
  }
}

function buildAnd(config: AndPolicyConfig, clock: Clock): PolicyEvaluator {
  return new AndPolicy(config.and.and_sub_policy.map((sub) => buildLeafPolicy(sub, clock)));
}

/**
 * Spans per second of each composite member: `percent` of the total; an entry with percent 0
 * gets an equal share; a member without an entry gets nothing (the Collector's arithmetic).
 */
function rateAllocations(composite: { max_total_spans_per_second: number; composite_sub_policy: unknown[]; rate_allocation: Array<{ policy: string; percent: number }> }): Map<string, number> {
  const total = composite.max_total_spans_per_second;
  const equalShare = total / composite.composite_sub_policy.length;
  const allocations = new Map<string, number>();
  for (const { policy, percent } of composite.rate_allocation) {
    allocations.set(policy, Math.trunc(percent > 0 ? (percent / 100) * total : equalShare));
  }
  return allocations;
}

export function buildLeafPolicy(config: LeafPolicyConfig, clock: Clock): PolicyEvaluator {
  switch (config.type) {
    case 'always_sample':
      return new AlwaysSamplePolicy();
    case 'latency':
      return new LatencyPolicy(config.latency);
    case 'numeric_attribute':
      return new NumericAttributePolicy(config.numeric_attribute);
    case 'probabilistic':
      return new ProbabilisticPolicy(config.probabilistic);
    case 'status_code':
      return new StatusCodePolicy(config.status_code);
    case 'string_attribute':
      return new StringAttributePolicy(config.string_attribute);
    case 'boolean_attribute':
      return new BooleanAttributePolicy(config.boolean_attribute);
    case 'span_count':
      return new SpanCountPolicy(config.span_count);
    case 'trace_state':
      return new TraceStatePolicy(config.trace_state);
    case 'trace_flags':
      return new TraceFlagsPolicy();
    case 'rate_limiting':
      return new RateLimitingPolicy(config.rate_limiting, clock);
    case 'bytes_limiting':
      return new BytesLimitingPolicy(config.bytes_limiting, clock);
    case 'decision':
      return new DecisionPolicy(config.decision);
  }
}
