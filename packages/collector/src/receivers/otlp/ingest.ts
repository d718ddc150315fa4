import type { ResourceSpans } from '@decision-trace/model';
import type { TraceBatch, TracesConsumer } from '../../component/component.js';

export function countSpans(resourceSpans: ResourceSpans[]): number {
  let count = 0;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans) count += ss.spans.length;
  return count;
}

/** Hands decoded spans to the pipeline; resolves once every exporter has them. */
export async function ingest(consumer: TracesConsumer, resourceSpans: ResourceSpans[], tenant?: string): Promise<number> {
  const spanCount = countSpans(resourceSpans);
  if (spanCount === 0) return 0;
  const batch: TraceBatch = { resourceSpans, spanCount, decisions: [], tenant };
  await consumer.consumeTraces(batch);
  return spanCount;
}
