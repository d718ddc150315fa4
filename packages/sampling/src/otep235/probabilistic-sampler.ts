import { fnv1a32TraceId } from '../hash/fnv.js';
import {
  ALWAYS_SAMPLE_THRESHOLD,
  HEX_DIGITS,
  MIN_SAMPLING_PROBABILITY,
  NEVER_SAMPLE_THRESHOLD,
  compareThresholds,
  encodeThreshold,
  parseRandomness,
  parseThreshold,
  probabilityToThreshold,
  randomnessFromTraceId,
  shouldSample,
  thresholdAdjustedCount,
  thresholdProbability,
} from './threshold.js';
import { otelTraceStateOf, serializeOtelTraceState, withOtelTraceState, type OtelTraceState } from './tracestate.js';

/**
 * The OpenTelemetry Collector's `probabilistic_sampler` decision for one span, in its three
 * modes:
 * - `hash_seed`: FNV-1a of seed + trace id, 14 bits compared with the percentage (the legacy
 *   algorithm, so decisions match collectors that use it);
 * - `proportional`: multiplies the incoming probability (`th` in tracestate) by the ratio;
 * - `equalizing`: raises every incoming probability to at most the ratio.
 * Randomness is `rv` from tracestate, else the low 56 bits of the trace id. A sampled span gets
 * the threshold written to `ot=th:…` (and, in hash_seed mode, the randomness as `rv`).
 */
export type ProbabilisticMode = 'hash_seed' | 'proportional' | 'equalizing';

export interface ProbabilisticSamplerConfig {
  sampling_percentage: number;
  /** Unset: `hash_seed` when `hash_seed` is non-zero, else `proportional`. */
  mode?: ProbabilisticMode;
  hash_seed?: number;
  /** Hex digits of the threshold written (1..14). */
  sampling_precision?: number;
  /** On missing or inconsistent randomness: true drops the span, false keeps it. */
  fail_closed?: boolean;
}

export interface SpanSamplingInput {
  traceId: string;
  traceState: string;
  attributes: Record<string, unknown>;
}

export type ProbabilisticReason =
  | 'trace_id_hash'
  | 'trace_id_w3c'
  | 'sampling_randomness'
  | 'sampling_priority'
  | 'missing_randomness'
  | 'inconsistent_threshold'
  | 'randomness_in_use'
  | 'threshold_in_use'
  | 'invalid_tracestate';

export interface SpanSamplingResult {
  sampled: boolean;
  /** The span's tracestate after sampling: the input string itself when unchanged. */
  traceState: string;
  /** 1/p of the threshold applied (the configured rate when not sampled). */
  adjustedCount: number;
  reason: ProbabilisticReason;
}

const HASH_BUCKETS = 0x4000;
const HASH_BUCKET_MASK = HASH_BUCKETS - 1;
const PERCENTAGE_SCALE = Math.fround(HASH_BUCKETS / 100);

type Priority = 'defer' | 'always' | 'never';

export class ProbabilisticSpanSampler {
  readonly mode: ProbabilisticMode;
  private readonly failClosed: boolean;
  private readonly precision: number;
  private readonly ratio: number;
  private readonly never: boolean;
  /** Fixed threshold of hash_seed and equalizing modes. */
  private readonly fixedThreshold: string;
  private readonly hashSeed: number;
  /**
   * The last decision made without `sampling.priority`. Such a decision depends on nothing but
   * the trace id and the tracestate, and the spans of a trace mostly arrive one after another
   * with the same tracestate: they reuse it instead of hashing and encoding again per span.
   */
  private last: { traceId: string; traceState: string; result: SpanSamplingResult } | undefined;

  constructor(config: ProbabilisticSamplerConfig) {
    const percentage = Math.min(100, Math.max(0, config.sampling_percentage));
    this.hashSeed = (config.hash_seed ?? 0) >>> 0;
    this.mode = config.mode ?? (this.hashSeed !== 0 ? 'hash_seed' : 'proportional');
    this.failClosed = config.fail_closed ?? true;
    this.precision = config.sampling_precision ?? 4;
    this.ratio = Math.max(percentage / 100, MIN_SAMPLING_PROBABILITY);
    this.never = percentage === 0;
    if (this.mode === 'hash_seed') {
      // The Collector multiplies in 32-bit float and truncates; so do we, for identical buckets.
      const scaled = Math.trunc(Math.fround(Math.fround(percentage) * PERCENTAGE_SCALE));
      this.never ||= scaled === 0;
      const reject = BigInt(HASH_BUCKETS - Math.min(scaled, HASH_BUCKETS)) << 42n;
      this.fixedThreshold = reject === 0n ? ALWAYS_SAMPLE_THRESHOLD : reject.toString(16).padStart(HEX_DIGITS, '0');
    } else {
      this.fixedThreshold = probabilityToThreshold(this.ratio, this.precision) ?? ALWAYS_SAMPLE_THRESHOLD;
    }
  }

  /** The adjusted count of the configured rate alone (no incoming threshold). */
  get configuredAdjustedCount(): number {
    return this.never ? 0 : thresholdAdjustedCount(this.fixedThreshold);
  }

  /** The decision for one span. The result may be shared between spans: read it, never change it. */
  decide(span: SpanSamplingInput): SpanSamplingResult {
    const deferred = !('sampling.priority' in span.attributes);
    const last = this.last;
    if (deferred && last !== undefined && last.traceId === span.traceId && last.traceState === span.traceState) return last.result;
    const otel = otelTraceStateOf(span.traceState);
    const result = this.mode === 'hash_seed' ? this.decideHashSeed(span, otel) : this.decideConsistent(span, otel);
    if (deferred) this.last = { traceId: span.traceId, traceState: span.traceState, result };
    return result;
  }

  private decideHashSeed(span: SpanSamplingInput, otel: OtelTraceState | Error): SpanSamplingResult {
    const randomness = span.traceId.length === 32 ? hashRandomness(fnv1a32TraceId(this.hashSeed, span.traceId)) : undefined;
    let reason: ProbabilisticReason = 'trace_id_hash';
    let carrier: OtelTraceState | undefined;
    if (randomness === undefined) reason = 'missing_randomness';
    else if (otel instanceof Error) reason = 'invalid_tracestate';
    // Spans that already carry OTEP 235 information belong to a consistent mode.
    else if (otel.rv !== undefined) reason = 'randomness_in_use';
    else if (otel.th !== undefined) reason = 'threshold_in_use';
    else carrier = { ...otel, rv: randomness };
    let threshold: string;
    if (reason !== 'trace_id_hash') threshold = this.failClosed ? NEVER_SAMPLE_THRESHOLD : ALWAYS_SAMPLE_THRESHOLD;
    else threshold = this.never ? NEVER_SAMPLE_THRESHOLD : this.fixedThreshold;
    return this.finish(span, randomness ?? '0'.repeat(HEX_DIGITS), threshold, reason, carrier);
  }

  private decideConsistent(span: SpanSamplingInput, otel: OtelTraceState | Error): SpanSamplingResult {
    let randomness: string | undefined;
    let reason: ProbabilisticReason;
    let carrier: OtelTraceState | undefined;
    let incoming: string | undefined;
    if (otel instanceof Error) {
      randomness = randomnessFromTraceId(span.traceId);
      reason = 'invalid_tracestate';
    } else {
      carrier = otel;
      const rv = otel.rv === undefined ? undefined : parseRandomness(otel.rv);
      incoming = otel.th === undefined ? undefined : parseThreshold(otel.th);
      if (rv !== undefined) {
        randomness = rv;
        reason = 'sampling_randomness';
      } else {
        randomness = randomnessFromTraceId(span.traceId);
        reason = randomness === undefined ? 'missing_randomness' : 'trace_id_w3c';
      }
      if (randomness !== undefined && incoming !== undefined && !shouldSample(incoming, randomness)) {
        // The arriving threshold says this span should not exist: drop it from the state.
        carrier = { ...otel, th: undefined };
        incoming = undefined;
        reason = 'inconsistent_threshold';
      }
    }

    let threshold: string;
    if (reason === 'invalid_tracestate' || reason === 'missing_randomness' || reason === 'inconsistent_threshold') {
      threshold = this.failClosed ? NEVER_SAMPLE_THRESHOLD : ALWAYS_SAMPLE_THRESHOLD;
    } else if (this.never) {
      threshold = NEVER_SAMPLE_THRESHOLD;
    } else if (this.mode === 'equalizing') {
      threshold = incoming !== undefined && compareThresholds(this.fixedThreshold, incoming) < 0 ? incoming : this.fixedThreshold;
    } else {
      const incomingProbability = incoming === undefined ? 1 : thresholdProbability(incoming);
      threshold = probabilityToThreshold(incomingProbability * this.ratio, this.precision) ?? NEVER_SAMPLE_THRESHOLD;
    }
    return this.finish(span, randomness ?? '0'.repeat(HEX_DIGITS), threshold, reason, carrier);
  }

  private finish(
    span: SpanSamplingInput,
    randomness: string,
    computed: string,
    computedReason: ProbabilisticReason,
    carrier: OtelTraceState | undefined,
  ): SpanSamplingResult {
    let threshold = computed;
    let reason = computedReason;
    const priority = samplingPriority(span.attributes);
    if (priority !== 'defer') {
      threshold = priority === 'always' ? ALWAYS_SAMPLE_THRESHOLD : NEVER_SAMPLE_THRESHOLD;
      reason = 'sampling_priority';
    }
    const sampled = shouldSample(threshold, randomness);
    let traceState = span.traceState;
    let adjustedCount = threshold === NEVER_SAMPLE_THRESHOLD ? this.configuredAdjustedCount : thresholdAdjustedCount(threshold);
    if (sampled && carrier !== undefined) {
      const existing = carrier.th === undefined ? undefined : parseThreshold(carrier.th);
      // A threshold may only rise (probability only fall): lowering it would overstate counts.
      const th = existing !== undefined && compareThresholds(existing, threshold) > 0 ? carrier.th! : encodeThreshold(threshold);
      if (existing !== undefined && th === carrier.th) adjustedCount = thresholdAdjustedCount(existing);
      const next = serializeOtelTraceState({ ...carrier, th });
      traceState = withOtelTraceState(span.traceState, next);
    }
    return { sampled, traceState, adjustedCount, reason };
  }
}

/**
 * 56 bits of randomness built from a 32-bit hash so that `R >= T` agrees with the legacy
 * `hash & 0x3fff < scaled` test: the top 14 bits are the complement of the bucket.
 */
function hashRandomness(hash32: number): string {
  const bucket = hash32 & HASH_BUCKET_MASK;
  const top14 = BigInt(HASH_BUCKET_MASK - bucket);
  // The Collector's randomnessFromBytes shifts by 32 - 14 (meaning the 18 unused bits, taking
  // the top 14): the same shift here, so the rv written is the Collector's to the bit.
  const unused18 = BigInt(hash32 >>> 18);
  const mixed28 = (unused18 ^ (unused18 << 10n)) & 0xfffffffn;
  const value = (top14 << 42n) | (mixed28 << 14n) | BigInt(bucket);
  return value.toString(16).padStart(HEX_DIGITS, '0');
}

/** OpenTracing's `sampling.priority`: 0 never samples, > 0 always samples. */
function samplingPriority(attributes: Record<string, unknown>): Priority {
  if (!('sampling.priority' in attributes)) return 'defer';
  const value = attributes['sampling.priority'];
  let numeric: number;
  if (typeof value === 'number') numeric = value;
  else if (typeof value === 'bigint') numeric = Number(value);
  else if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) numeric = Number(value);
  else return 'defer';
  if (numeric === 0) return 'never';
  if (numeric > 0) return 'always';
  return 'defer';
}
