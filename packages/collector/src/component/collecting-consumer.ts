import type { ReadonlyDecisionEvent, ReadonlySpan } from '@decision-trace/model';
import type { TraceBatch, TracesConsumer } from './component.js';

/**
 * Remembers every batch it is given and, when it has a `next`, passes the batch on: the end of a
 * pipeline run outside the service, or a tap between two of its processors (the Collector's
 * `consumertest.TracesSink`). The offline `sampling test` command and the tests read pipelines
 * through it.
 */
export class CollectingConsumer implements TracesConsumer {
  readonly batches: TraceBatch[] = [];

  constructor(private readonly next?: TracesConsumer) {}

  async consumeTraces(batch: TraceBatch): Promise<void> {
    this.batches.push(batch);
    if (this.next) await this.next.consumeTraces(batch);
  }

  spans(): ReadonlySpan[] {
    return this.batches.flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
  }

  decisions(): ReadonlyDecisionEvent[] {
    return this.batches.flatMap((b) => b.decisions);
  }

  /** The traces at least one span of which came through. */
  traceIds(): Set<string> {
    return new Set(this.spans().map((span) => span.traceId));
  }
}
