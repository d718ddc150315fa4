import { SamplingDecision, trace, type Attributes, type Context, type Link, type Sampler, type SamplingResult, type SpanKind } from '@opentelemetry/api';
import {
  ALWAYS_SAMPLE_THRESHOLD,
  encodeThreshold,
  parseRandomness,
  probabilityToThreshold,
  randomnessFromTraceId,
  shouldSample,
} from '../otep235/threshold.js';
import { parseOtelTraceState, serializeOtelTraceState } from '../otep235/tracestate.js';
import { traceStateWithOt } from './trace-state.js';

/**
 * A head sampler for the OpenTelemetry JS SDK that samples a ratio of traces consistently with
 * every other OTEP 235 sampler: randomness is `rv` from the parent's tracestate, else the low
 * 56 bits of the trace id; a sampled span carries `ot=th:<threshold>` so downstream samplers
 * and backends know its adjusted count. Use it as the root sampler of a `ParentBasedSampler`.
 */
export class ConsistentRatioSampler implements Sampler {
  private readonly threshold: string | undefined;

  constructor(
    readonly ratio: number,
    private readonly precision = 4,
  ) {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`ratio must be within [0, 1], got ${ratio}`);
    this.threshold = ratio === 0 ? undefined : (probabilityToThreshold(ratio, precision) ?? undefined);
  }

  shouldSample(context: Context, traceId: string, _name: string, _kind: SpanKind, _attributes: Attributes, _links: Link[]): SamplingResult {
    const parentState = trace.getSpanContext(context)?.traceState;
    const parsed = parseOtelTraceState(parentState?.get('ot'));
    const ot = parsed instanceof Error ? { extra: [] } : parsed;
    const randomness = (ot.rv !== undefined ? parseRandomness(ot.rv) : undefined) ?? randomnessFromTraceId(traceId);
    if (this.threshold === undefined || randomness === undefined || !shouldSample(this.threshold, randomness)) {
      // Not sampled: a stale threshold must not travel on.
      const cleared = ot.th === undefined ? undefined : traceStateWithOt(parentState, serializeOtelTraceState({ ...ot, th: undefined }));
      return { decision: SamplingDecision.NOT_RECORD, traceState: cleared ?? parentState };
    }
    const th = encodeThreshold(this.threshold ?? ALWAYS_SAMPLE_THRESHOLD);
    const traceState = traceStateWithOt(parentState, serializeOtelTraceState({ ...ot, th }));
    return { decision: SamplingDecision.RECORD_AND_SAMPLED, traceState };
  }

  toString(): string {
    return `ConsistentRatioSampler{ratio=${this.ratio}, precision=${this.precision}}`;
  }
}
