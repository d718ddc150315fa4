import {
  HeadSamplingCounters,
  ProbabilisticSpanSampler,
  annotateDecisions,
  filterSpans,
  spanKey,
  spansWithDecisions,
} from '@decision-trace/sampling';
import type { ProcessorFactory, TraceBatch } from '../../component/component.js';
import { probabilisticSamplerSchema, type ProbabilisticSamplerProcessorConfig } from './config.js';

/**
 * Keeps a percentage of spans, decided consistently per trace (see the README for the modes).
 * Decisions are never dropped: each decision event flows on, noting whether its span was kept
 * and its adjusted count.
 */
export const probabilisticSamplerFactory: ProcessorFactory<ProbabilisticSamplerProcessorConfig> = {
  kind: 'processor',
  type: 'probabilistic_sampler',
  configSchema: probabilisticSamplerSchema,
  create({ config }, next) {
    const sampler = new ProbabilisticSpanSampler(config);
    const counters = new HeadSamplingCounters();
    return Object.assign(
      {
        async start() {},
        async shutdown() {},
        consumeTraces(batch: TraceBatch) {
          const wanted = spansWithDecisions(batch.decisions);
          const verdicts = new Map<string, { sampled: boolean; adjustedCount: number }>();
          const result = filterSpans(batch.resourceSpans, (span) => {
            const decision = sampler.decide(span);
            counters.count(decision.reason, decision.sampled);
            if (wanted.has(spanKey(span.traceId, span.spanId))) verdicts.set(spanKey(span.traceId, span.spanId), decision);
            if (!decision.sampled) return null;
            return decision.traceState === span.traceState ? span : { ...span, traceState: decision.traceState };
          });
          const decisions = annotateDecisions(batch.decisions, (event) => {
            const verdict = event.trace_id && event.span_id ? verdicts.get(spanKey(event.trace_id, event.span_id)) : undefined;
            if (verdict !== undefined) return { trace_sampled: verdict.sampled, adjusted_count: verdict.adjustedCount, policy: 'probabilistic_sampler' };
            if (!event.trace_id) return undefined;
            // A decision whose span is not in this batch: the trace id alone decides.
            const byTrace = sampler.decide({ traceId: event.trace_id, traceState: '', attributes: {} });
            return { trace_sampled: byTrace.sampled, adjusted_count: byTrace.adjustedCount, policy: 'probabilistic_sampler' };
          });
          return next.consumeTraces({ ...batch, resourceSpans: result.resourceSpans, spanCount: result.spanCount, decisions });
        },
      },
      { counters },
    );
  },
};
