import type { MetricsBatch, MetricsConsumer, TraceBatch, TracesConsumer } from '../component/component.js';

/** Hands one batch to several consumers; fails if any fails, so the client is never told "ok" too early. */
export function fanout(consumers: TracesConsumer[]): TracesConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeTraces(batch: TraceBatch) {
      await Promise.all(consumers.map((c) => c.consumeTraces(batch)));
    },
  };
}

/**
 * A receiver feeding several pipelines gives each its own batch: processors may change spans
 * and add decisions, and one pipeline must not see another's changes.
 */
export function fanoutToPipelines(consumers: TracesConsumer[]): TracesConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeTraces(batch: TraceBatch) {
      await Promise.all(
        consumers.map((c) =>
          c.consumeTraces({ resourceSpans: batch.resourceSpans, spanCount: batch.spanCount, decisions: [...batch.decisions], tenant: batch.tenant }),
        ),
      );
    },
  };
}

/** Hands one metrics batch to several consumers (they only read it); fails if any fails. */
export function fanoutMetrics(consumers: MetricsConsumer[]): MetricsConsumer {
  if (consumers.length === 1) return consumers[0];
  return {
    async consumeMetrics(batch: MetricsBatch) {
      await Promise.all(consumers.map((c) => c.consumeMetrics(batch)));
    },
  };
}
