import type { Span, ResourceSpans } from '@decision-trace/model';
import {
  HeadSamplingCounters,
  RateLimiter,
  annotateDecisions,
  filterSpans,
  spanKey,
  spansWithDecisions,
  systemClock,
} from '@decision-trace/sampling';
import type { ProcessorFactory, TraceBatch } from '../../component/component.js';
import { rateLimitingSchema, type RateLimitingProcessorConfig } from './config.js';

/**
 * Lets at most `spans_per_second` spans or `traces_per_second` traces through (token bucket
 * with `burst`), optionally per service or per decision type. Decision events always flow on,
 * noting whether their span was kept.
 */
export const rateLimitingProcessorFactory: ProcessorFactory<RateLimitingProcessorConfig> = {
  kind: 'processor',
  type: 'rate_limiting',
  configSchema: rateLimitingSchema,
  create({ config }, next) {
    const limiter = new RateLimiter(config, systemClock);
    const counters = new HeadSamplingCounters();
    return Object.assign(
      {
        async start() {},
        async shutdown() {},
        consumeTraces(batch: TraceBatch) {
          const wanted = spansWithDecisions(batch.decisions);
          const kept = new Map<string, boolean>();
          const keyOf = keyFunction(config.key);
          const result = filterSpans(batch.resourceSpans, (span, resource) => {
            const admitted = limiter.admit(span.traceId, keyOf(span, resource));
            counters.count(limiter.unit, admitted);
            const id = spanKey(span.traceId, span.spanId);
            if (wanted.has(id)) kept.set(id, admitted);
            return admitted ? span : null;
          });
          const decisions = annotateDecisions(batch.decisions, (event) => {
            if (!event.trace_id || !event.span_id) return undefined;
            const admitted = kept.get(spanKey(event.trace_id, event.span_id));
            return admitted === undefined ? undefined : { trace_sampled: admitted, policy: 'rate_limiting' };
          });
          return next.consumeTraces({ ...batch, resourceSpans: result.resourceSpans, spanCount: result.spanCount, decisions });
        },
      },
      { counters },
    );
  },
};

function keyFunction(key: RateLimitingProcessorConfig['key']): (span: Span, resource: ResourceSpans) => string {
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
        const type = span.attributes['decision.type'] ?? span.attributes['dt.decision_type'];
        return typeof type === 'string' ? type : '';
      };
  }
}
