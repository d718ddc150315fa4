import type { Clock } from '../../clock.js';
import type { AndPolicyConfig, LeafPolicyConfig, PolicyConfig } from '../policy-config.js';
import { BooleanAttributePolicy, NumericAttributePolicy, StringAttributePolicy } from './attribute-policies.js';
import { AndPolicy, CompositePolicy, DropPolicy, NotPolicy, type CompositeMember } from './combinator-policies.js';
import { DecisionPolicy } from './decision-policy.js';
import { BytesLimitingPolicy, RateLimitingPolicy } from './limiting-policies.js';
import { OttlConditionPolicy } from './ottl-condition-policy.js';
import type { PolicyEvaluator, PolicyHooks } from './policy.js';
import { ProbabilisticPolicy } from './probabilistic-policy.js';
import { AlwaysSamplePolicy, LatencyPolicy, SpanCountPolicy, StatusCodePolicy, TraceFlagsPolicy, TraceStatePolicy } from './trace-shape-policies.js';

export function buildPolicy(config: PolicyConfig, clock: Clock, hooks: PolicyHooks = {}): PolicyEvaluator {
  switch (config.type) {
    case 'and':
      return buildAnd(config, clock, hooks);
    case 'not':
      return new NotPolicy(buildLeafPolicy(config.not.not_sub_policy, clock, hooks));
    case 'drop':
      return new DropPolicy(config.drop.drop_sub_policy.map((sub) => buildLeafPolicy(sub, clock, hooks)));
    case 'composite': {
      const { composite } = config;
      const allocations = rateAllocations(composite);
      // The Collector asks the members in composite_sub_policy order; policy_order is not used.
      const members: CompositeMember[] = composite.composite_sub_policy.map((sub) => ({
        name: sub.name,
        policy: sub.type === 'and' ? buildAnd(sub, clock, hooks) : buildLeafPolicy(sub, clock, hooks),
        allocated: allocations.get(sub.name)!,
      }));
      return new CompositePolicy(members, composite.max_total_spans_per_second, clock);
    }
    default:
      return buildLeafPolicy(config, clock, hooks);
  }
}

function buildAnd(config: AndPolicyConfig, clock: Clock, hooks: PolicyHooks): PolicyEvaluator {
  return new AndPolicy(config.and.and_sub_policy.map((sub) => buildLeafPolicy(sub, clock, hooks)));
}

/**
 * Spans per second of each composite member, as the Collector (v0.161.0) computes them: `percent`
 * of the total when its rate_allocation entry has percent > 0; otherwise — percent 0 or no entry
 * at all — an equal share of the total (total / number of members), truncated to an integer.
 */
function rateAllocations(composite: {
  max_total_spans_per_second: number;
  composite_sub_policy: Array<{ name: string }>;
  rate_allocation: Array<{ policy: string; percent: number }>;
}): Map<string, number> {
  const total = composite.max_total_spans_per_second;
  const equalShare = total / composite.composite_sub_policy.length;
  const percents = new Map(composite.rate_allocation.map(({ policy, percent }) => [policy, percent]));
  const allocations = new Map<string, number>();
  for (const { name } of composite.composite_sub_policy) {
    const percent = percents.get(name) ?? 0;
    allocations.set(name, Math.trunc(percent > 0 ? (percent / 100) * total : equalShare));
  }
  return allocations;
}

export function buildLeafPolicy(config: LeafPolicyConfig, clock: Clock, hooks: PolicyHooks = {}): PolicyEvaluator {
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
    case 'ottl_condition':
      return new OttlConditionPolicy(config.ottl_condition, hooks);
  }
}
