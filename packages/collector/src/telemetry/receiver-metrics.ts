import type { MutableTraceBatch, MutatingTracesConsumer } from '../component/component.js';
import type { MetricsRegistry } from './metrics-registry.js';

/**
 * Counts what a receiver hands to its pipelines: spans the pipelines accepted (the client got
 * a success) and spans they refused (the client was told to retry, or that the data was bad).
 */
export function countingReceiverConsumer(receiverId: string, next: MutatingTracesConsumer, registry: MetricsRegistry): MutatingTracesConsumer {
  const labels = { receiver: receiverId };
  const accepted = registry.counter('otelcol_receiver_accepted_spans_total', 'Spans a receiver handed to its pipelines and that they accepted.').with(labels);
  const refused = registry.counter('otelcol_receiver_refused_spans_total', 'Spans a receiver handed to its pipelines and that they refused.').with(labels);
  return {
    // Not async: a suspended async function would keep the batch (every span of the request)
    // alive while the pipeline works; see receivers/otlp/ingest.ts.
    consumeTraces(batch: MutableTraceBatch) {
      const spans = batch.spanCount;
      let consumed: Promise<void>;
      try {
        consumed = next.consumeTraces(batch);
      } catch (error) {
        refused.add(spans);
        return Promise.reject(error);
      }
      return consumed.then(
        () => accepted.add(spans),
        (error: unknown) => {
          refused.add(spans);
          throw error;
        },
      );
    },
  };
}
