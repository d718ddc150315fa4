import { ProbabilisticSpanSampler, annotateDecisions, filterSpans, spanKey, spansWithDecisions, type ProbabilisticReason } from '@decision-trace/sampling';
import type { ReadingProcessorFactory, TraceBatch } from '../../component/component.js';
import { componentName } from '../../telemetry/component-name.js';
import type { CounterHandle } from '../../telemetry/metrics-registry.js';
import { probabilisticSamplerSchema, type ProbabilisticSamplerProcessorConfig } from './config.js';

/**
 * Keeps a percentage of spans, decided consistently per trace (see the README for the modes).
 * Decisions are never dropped: each decision event flows on, noting whether its span was kept
 * and its adjusted count.
 */
export const probabilisticSamplerFactory: ReadingProcessorFactory<ProbabilisticSamplerProcessorConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  type: 'probabilistic_sampler',
  configSchema: probabilisticSamplerSchema,
  create({ id, config, host, pipeline }, next) {
    const sampler = new ProbabilisticSpanSampler(config);
    const labels = { processor: componentName(id, pipeline), pipeline: pipeline ?? '' };
    const family = host.metrics.counter(
      'otelcol_processor_probabilistic_sampler_count_spans_processed_total',
      'Spans the probabilistic sampler kept (sampled="true") or dropped, by the reason that decided (policy).',
    );
    // A series per reason appears with the first span it decides; the reasons are a closed set.
    const byReason = new Map<ProbabilisticReason, { sampled: CounterHandle; notSampled: CounterHandle }>();
    const countSpan = (reason: ProbabilisticReason, sampled: boolean): void => {
      let handles = byReason.get(reason);
      if (handles === undefined) {
        handles = {
          sampled: family.with({ ...labels, policy: reason, sampled: 'true' }),
          notSampled: family.with({ ...labels, policy: reason, sampled: 'false' }),
        };
        byReason.set(reason, handles);
      }
      (sampled ? handles.sampled : handles.notSampled).add(1);
    };
    return {
      async start() {},
      async shutdown() {},
      consumeTraces(batch: TraceBatch) {
        const wanted = spansWithDecisions(batch.decisions);
        const verdicts = new Map<string, { sampled: boolean; adjustedCount: number }>();
        const result = filterSpans(batch.resourceSpans, (span) => {
          const decision = sampler.decide(span);
          countSpan(decision.reason, decision.sampled);
          // Most batches carry no decisions: no key to build for them.
          if (wanted.size > 0 && wanted.has(spanKey(span.traceId, span.spanId))) verdicts.set(spanKey(span.traceId, span.spanId), decision);
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
    };
  },
};
