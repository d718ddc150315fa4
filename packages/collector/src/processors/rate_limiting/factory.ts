import { ATTR_DECISION_TYPE, ATTR_DT_DECISION_TYPE, type ReadonlyResourceSpans, type ReadonlySpan } from '@decision-trace/model';
import { RateLimiter, annotateDecisions, filterSpans, spanKey, spansWithDecisions, systemClock } from '@decision-trace/sampling';
import type { ReadingProcessorFactory, TraceBatch } from '../../component/component.js';
import { componentName } from '../../telemetry/component-name.js';
import { rateLimitingSchema, type RateLimitingProcessorConfig } from './config.js';

/**
 * Lets at most `spans_per_second` spans or `traces_per_second` traces through (token bucket
 * with `burst`), optionally per service or per decision type. Decision events always flow on,
 * noting whether their span was kept.
 */
export const rateLimitingProcessorFactory: ReadingProcessorFactory<RateLimitingProcessorConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  type: 'rate_limiting',
  configSchema: rateLimitingSchema,
  create({ id, config, host, pipeline, clock = systemClock }, next) {
    const limiter = new RateLimiter(config, clock);
    const keyOf = keyFunction(config.key);
    const labels = { processor: componentName(id, pipeline), pipeline: pipeline ?? '' };
    const spans = host.metrics.counter(
      'otelcol_processor_rate_limiting_count_spans_processed_total',
      'Spans the rate_limiting processor let through (sampled="true") or dropped.',
    );
    const spansSampled = spans.with({ ...labels, sampled: 'true' });
    const spansNotSampled = spans.with({ ...labels, sampled: 'false' });
    // In traces mode the bucket decides once per trace: count those decisions too.
    const traces =
      limiter.unit === 'traces'
        ? host.metrics.counter(
            'otelcol_processor_rate_limiting_count_traces_processed_total',
            'New traces the rate_limiting processor admitted (sampled="true") or refused (traces_per_second).',
          )
        : undefined;
    const tracesSampled = traces?.with({ ...labels, sampled: 'true' });
    const tracesNotSampled = traces?.with({ ...labels, sampled: 'false' });
    return {
      async start() {},
      async shutdown() {},
      consumeTraces(batch: TraceBatch) {
        const wanted = spansWithDecisions(batch.decisions);
        const kept = new Map<string, boolean>();
        const admittedBefore = limiter.decided.admitted;
        const refusedBefore = limiter.decided.refused;
        const result = filterSpans(batch.resourceSpans, (span, resource) => {
          const admitted = limiter.admit(span.traceId, keyOf(span, resource));
          (admitted ? spansSampled : spansNotSampled).add(1);
          const id = spanKey(span.traceId, span.spanId);
          if (wanted.has(id)) kept.set(id, admitted);
          return admitted ? span : null;
        });
        tracesSampled?.add(limiter.decided.admitted - admittedBefore);
        tracesNotSampled?.add(limiter.decided.refused - refusedBefore);
        const decisions = annotateDecisions(batch.decisions, (event) => {
          if (!event.trace_id || !event.span_id) return undefined;
          const admitted = kept.get(spanKey(event.trace_id, event.span_id));
          return admitted === undefined ? undefined : { trace_sampled: admitted, policy: 'rate_limiting' };
        });
        return next.consumeTraces({ ...batch, resourceSpans: result.resourceSpans, spanCount: result.spanCount, decisions });
      },
    };
  },
};

function keyFunction(key: RateLimitingProcessorConfig['key']): (span: ReadonlySpan, resource: ReadonlyResourceSpans) => string {
  switch (key) {
    case 'none':
      return () => '';
    case 'service':
      return (_span, resource) => {
        const name = resource.resource.attributes['service.name'];
        return typeof name === 'string' ? name : '';
      };
    case 'decision_type':
      return (span) => {
        const type = span.attributes[ATTR_DECISION_TYPE] ?? span.attributes[ATTR_DT_DECISION_TYPE];
        return typeof type === 'string' ? type : '';
      };
  }
}
