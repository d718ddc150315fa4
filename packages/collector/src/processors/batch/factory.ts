import type { ReadingProcessorFactory, TraceBatch } from '../../component/component.js';
import { componentName } from '../../telemetry/component-name.js';
import { Batcher } from './batcher.js';
import { batchProcessorSchema, type BatchProcessorConfig } from './config.js';
import { partitionByDecision } from './split-spans.js';

/**
 * Groups spans into larger batches, as the Collector's batch processor does. Decision data is
 * not held where that would weaken what the client's acknowledgment means: decision events and
 * the spans that carry decisions pass straight on, and the client is acknowledged only once the
 * rest of the pipeline has them; only context spans wait in the batch (acknowledged when added,
 * as in the Collector). Where every exporter of the pipeline acknowledges from memory anyway (an
 * in-memory sending queue: CreateSettings.exportersAcknowledgeFromMemory), holding them here is
 * no weaker, so everything is batched, as in the Collector.
 */
export const batchProcessorFactory: ReadingProcessorFactory<BatchProcessorConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  // It only moves spans; of a span it asks whether it carries a decision, which an outline
  // answers as the whole span would (a span with decision attributes or events is never one).
  readsDecisionSpansOnly: () => true,
  type: 'batch',
  configSchema: batchProcessorSchema,
  create({ id, config, logger, host, pipeline, exportersAcknowledgeFromMemory = false }, next) {
    const labels = { processor: componentName(id, pipeline), pipeline: pipeline ?? '' };
    const sizeTriggered = host.metrics
      .counter('otelcol_processor_batch_batch_size_trigger_send_total', 'Batches sent because send_batch_size was reached.')
      .with(labels);
    const timeoutTriggered = host.metrics
      .counter('otelcol_processor_batch_timeout_trigger_send_total', 'Batches sent because the timeout passed (or at shutdown).')
      .with(labels);
    const passedThrough = host.metrics
      .counter('otelcol_processor_batch_passed_through_spans_total', 'Decision-carrying spans sent on at once instead of being batched.')
      .with(labels);
    const dropped = host.metrics.counter('otelcol_processor_dropped_spans_total', 'Spans a processor gave up on.').with(labels);
    const refused = host.metrics.counter('otelcol_processor_refused_spans_total', 'Spans a processor refused (the sender was asked to retry).').with(labels);
    const batcher = new Batcher(config, next, {
      flushed: (trigger) => (trigger === 'size' ? sizeTriggered : timeoutTriggered).add(),
      dropped(spans, reason) {
        dropped.add(spans);
        logger.error({ err: reason, spans }, 'batch processor dropped spans the next component refused');
      },
    });
    host.metrics.gauge('otelcol_processor_batch_pending_spans', 'Context spans waiting in the batch.').observe(labels, () => batcher.pendingSpans);
    return {
      async start() {},
      async shutdown(context) {
        await batcher.close(context?.deadline ?? Date.now());
      },
      async consumeTraces(batch: TraceBatch) {
        if (exportersAcknowledgeFromMemory && batch.spanCount > 0) {
          try {
            batcher.add(batch.tenant, batch.resourceSpans, batch.spanCount, batch.decisions);
          } catch (error) {
            refused.add(batch.spanCount);
            throw error;
          }
          return;
        }
        const parts = partitionByDecision(batch.resourceSpans);
        if (batch.decisions.length > 0 || parts.decisionCount > 0) {
          passedThrough.add(parts.decisionCount);
          await next.consumeTraces({
            resourceSpans: parts.decision,
            spanCount: parts.decisionCount,
            decisions: batch.decisions,
            tenant: batch.tenant,
          });
        }
        if (parts.contextCount === 0) return;
        try {
          batcher.add(batch.tenant, parts.context, parts.contextCount);
        } catch (error) {
          refused.add(parts.contextCount);
          throw error;
        }
      },
    };
  },
};
