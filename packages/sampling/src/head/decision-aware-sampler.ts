import { SamplingDecision, type Attributes, type Context, type Link, type Sampler, type SamplingResult, type SpanKind } from '@opentelemetry/api';

import { ATTR_DECISION_TYPE, ATTR_DT_DECISION_ID } from '@decision-trace/model';

/**
 * Wraps any sampler so that a span started with a `decision.type` (or `dt.decision_id`)
 * attribute is always recorded: a decision must reach the decision processor even when its
 * trace is not sampled. Such a span keeps the delegate's sampled flag, so trace backends still
 * see only sampled traces; `RECORD` only lets the in-process processor see it.
 *
 * Place it outside `ParentBasedSampler` (`new DecisionAwareSampler(new ParentBasedSampler(...))`):
 * a parent-based sampler would otherwise drop a decision span under an unsampled parent.
 */
export class DecisionAwareSampler implements Sampler {
  constructor(private readonly delegate: Sampler) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const result = this.delegate.shouldSample(context, traceId, name, kind, attributes, links);
    if (result.decision !== SamplingDecision.NOT_RECORD) return result;
    if (!isDecisionSpan(attributes)) return result;
    return { ...result, decision: SamplingDecision.RECORD };
  }

  toString(): string {
    return `DecisionAwareSampler{${this.delegate.toString()}}`;
  }
}

function isDecisionSpan(attributes: Attributes): boolean {
  const type = attributes[ATTR_DECISION_TYPE];
  if (type !== undefined && type !== null && type !== '') return true;
  const id = attributes[ATTR_DT_DECISION_ID];
  return id !== undefined && id !== null && id !== '';
}
