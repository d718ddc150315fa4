/**
 * Tail-sampling policy configuration as written in YAML (the OpenTelemetry Collector's
 * `tail_sampling` keys), after defaults. The collector's zod schema produces exactly these.
 */
export type StatusCodeName = 'OK' | 'ERROR' | 'UNSET';

export interface DecisionMatchConfig {
  /** Glob over the decision type, matched with and without its version suffix. */
  type?: string;
  /** Glob over the version (`v2`). */
  version?: string;
  /** Any of these globs over the outcome. */
  outcome?: string[];
  /** Confidence strictly below. */
  confidence_below?: number;
  /** Confidence strictly above. */
  confidence_above?: number;
  /** Any of these actor types. */
  actor_type?: string[];
  has_violations?: boolean;
  status?: 'pending' | 'decided' | 'errored';
}

/** How an `ottl_condition` policy treats a condition that fails to evaluate. */
export type OttlErrorMode = 'ignore' | 'propagate' | 'silent';

export type LeafPolicyConfig =
  | { name: string; type: 'always_sample' }
  | { name: string; type: 'latency'; latency: { threshold_ms: number; upper_threshold_ms: number } }
  | {
      name: string;
      type: 'numeric_attribute';
      numeric_attribute: { key: string; min_value?: number; max_value?: number; invert_match: boolean };
    }
  | { name: string; type: 'probabilistic'; probabilistic: { hash_salt: string; sampling_percentage: number } }
  | { name: string; type: 'status_code'; status_code: { status_codes: StatusCodeName[] } }
  | {
      name: string;
      type: 'string_attribute';
      string_attribute: {
        key: string;
        values: string[];
        enabled_regex_matching: boolean;
        cache_max_size: number;
        invert_match: boolean;
      };
    }
  | { name: string; type: 'boolean_attribute'; boolean_attribute: { key: string; value: boolean; invert_match: boolean } }
  | { name: string; type: 'span_count'; span_count: { min_spans: number; max_spans: number } }
  | { name: string; type: 'trace_state'; trace_state: { key: string; values: string[] } }
  | { name: string; type: 'trace_flags' }
  | { name: string; type: 'rate_limiting'; rate_limiting: { spans_per_second: number; burst_capacity: number } }
  | { name: string; type: 'bytes_limiting'; bytes_limiting: { bytes_per_second: number; burst_capacity: number } }
  | { name: string; type: 'decision'; decision: DecisionMatchConfig }
  | { name: string; type: 'ottl_condition'; ottl_condition: { error_mode: OttlErrorMode; span: string[]; spanevent: string[] } };

export interface AndPolicyConfig {
  name: string;
  type: 'and';
  and: { and_sub_policy: LeafPolicyConfig[] };
}

export interface NotPolicyConfig {
  name: string;
  type: 'not';
  not: { not_sub_policy: LeafPolicyConfig };
}

export interface DropPolicyConfig {
  name: string;
  type: 'drop';
  drop: { drop_sub_policy: LeafPolicyConfig[] };
}

export interface CompositePolicyConfig {
  name: string;
  type: 'composite';
  composite: {
    max_total_spans_per_second: number;
    policy_order: string[];
    composite_sub_policy: Array<LeafPolicyConfig | AndPolicyConfig>;
    rate_allocation: Array<{ policy: string; percent: number }>;
  };
}

export type PolicyConfig = LeafPolicyConfig | AndPolicyConfig | NotPolicyConfig | DropPolicyConfig | CompositePolicyConfig;
