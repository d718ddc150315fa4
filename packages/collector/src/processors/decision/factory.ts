import { extractDecisionEvents, LineageIndex } from '@decision-trace/model';
import type { ProcessorFactory, TraceBatch } from '../../component/component.js';
import { decisionProcessorSchema, type DecisionProcessorConfig } from './config.js';

/**
 * Finds decisions in the spans (span attributes, `decision` span events, `dt.*` spans) and puts
 * them on the batch beside the spans; the spans themselves flow on unchanged.
 */
export const decisionProcessorFactory: ProcessorFactory<DecisionProcessorConfig> = {
  kind: 'processor',
  type: 'decision',
  configSchema: decisionProcessorSchema,
  create({ config }, next) {
    const lineage = new LineageIndex({
      maxTraces: config.lineage.max_traces,
      maxSpansPerTrace: config.lineage.max_spans_per_trace,
    });
    return {
      async start() {},
      async shutdown() {},
      consumeTraces(batch: TraceBatch) {
        const found = extractDecisionEvents(batch.resourceSpans, { tenant: batch.tenant, lineage });
        for (const event of found) batch.decisions.push(event);
        return next.consumeTraces(batch);
      },
    };
  },
};
