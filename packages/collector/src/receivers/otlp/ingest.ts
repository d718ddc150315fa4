import type { ResourceSpans } from '@decision-trace/model';
import type { DecodedTraceRequest } from '@decision-trace/otlp';
import type { MutableTraceBatch, MutatingTracesConsumer } from '../../component/component.js';

export function countSpans(resourceSpans: ResourceSpans[]): number {
  let count = 0;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans) count += ss.spans.length;
  return count;
}

/**
 * Hands a decoded request's spans to the pipeline; resolves with their count once every
 * exporter has them. The spans are taken out of `decoded` (its `resourceSpans` is emptied), so
 * the receiver, which keeps `decoded` for its answer, does not keep them alive.
 *
 * Why it matters: a suspended async function keeps every local it has, used again or not, so
 * each request waiting for the store would hold its decoded spans. Under load that is every
 * request in flight, and the young-generation GC copies all of them again and again: letting
 * go of them halved the collector's main-thread GC time in the ingest benchmark. This function
 * is not async for the same reason: nothing here waits holding the batch.
 */
export function ingest(consumer: MutatingTracesConsumer, decoded: DecodedTraceRequest, tenant?: string): Promise<number> {
  const resourceSpans = decoded.resourceSpans;
  decoded.resourceSpans = [];
  const spanCount = countSpans(resourceSpans);
  if (spanCount === 0) return Promise.resolve(0);
  const batch: MutableTraceBatch = { resourceSpans, spanCount, decisions: [], tenant };
  let consumed: Promise<void>;
  try {
    consumed = consumer.consumeTraces(batch);
  } catch (error) {
    return Promise.reject(error);
  }
  return consumed.then(() => spanCount);
}
