export { systemClock, ManualClock, type Clock } from './clock.js';
export {
  ALWAYS_SAMPLE_THRESHOLD,
  NEVER_SAMPLE_THRESHOLD,
  MIN_SAMPLING_PROBABILITY,
  compareThresholds,
  encodeThreshold,
  parseRandomness,
  parseThreshold,
  probabilityToThreshold,
  randomnessFromTraceId,
  shouldSample,
  thresholdAdjustedCount,
  thresholdProbability,
} from './otep235/threshold.js';
export {
  getTraceStateValue,
  otelTraceStateOf,
  parseOtelTraceState,
  parseTraceState,
  serializeOtelTraceState,
  withOtelTraceState,
  type OtelTraceState,
} from './otep235/tracestate.js';
export {
  ProbabilisticSpanSampler,
  type ProbabilisticMode,
  type ProbabilisticReason,
  type ProbabilisticSamplerConfig,
  type SpanSamplingInput,
  type SpanSamplingResult,
} from './otep235/probabilistic-sampler.js';
export { fnv1a32TraceId, fnv1a64Seeded, fnv1a64TraceId } from './hash/fnv.js';
export { TokenBucket } from './rate/token-bucket.js';
export { OneSecondWindow } from './rate/one-second-window.js';
export { RateLimiter, type RateLimiterConfig } from './rate/rate-limiter.js';
// One implementation for every package: the model's, which stays dependency-free.
export { LruMap } from '@decision-trace/model';
export { globToRegExp } from './glob.js';
export { SpanGroups, filterSpans } from './span-groups.js';
export type * from './tail/policy-config.js';
export type { TraceData, BufferedSpans } from './tail/trace-data.js';
export { encodedSpanSize } from './tail/encoded-size.js';
export { POLICY_DECISIONS, PolicyEvaluationError, type PolicyDecision, type PolicyEvaluator, type PolicyHooks } from './tail/policies/policy.js';
export { buildPolicy, buildLeafPolicy } from './tail/policies/build-policy.js';
export { hasViolations } from './tail/policies/decision-policy.js';
export { decideTrace, orderPolicies, type FinalDecision, type NamedPolicy, type TraceVerdict } from './tail/final-decision.js';
export {
  TailSampler,
  type IngestResult,
  type ReleaseReason,
  type ReleasedTrace,
  type TailSamplerConfig,
  type TailSamplerMetrics,
} from './tail/tail-sampler.js';
export { samplingEvent, samplingEventId, withSampling } from './annotate/sampling-events.js';
export { ConsistentRatioSampler } from './head/consistent-ratio-sampler.js';
export { RateLimitingSampler } from './head/rate-limiting-sampler.js';
export { DecisionAwareSampler } from './head/decision-aware-sampler.js';
export { annotateDecisions, spanKey, spansWithDecisions } from './annotate/annotate-decisions.js';
export { samplingOfVerdict } from './annotate/verdict-sampling.js';
export { compileGoRegexp } from './go-regexp.js';
export {
  OttlCondition,
  OttlCompileError,
  OttlEvaluationError,
  OttlSyntaxError,
  OttlTypeError,
  compareValues as compareOttlValues,
  ottlConditionProblem,
  parseCondition as parseOttlCondition,
  type OttlConditionContext,
  type OttlEvalContext,
  type OttlValue,
} from './ottl/index.js';
