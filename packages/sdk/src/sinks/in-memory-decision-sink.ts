import type { DecisionEvent } from '@decision-trace/model';
import type { DecisionSink } from './decision-sink.js';

/** Keeps every delivered event in memory: for tests and for looking at what would be sent. */
export class InMemoryDecisionSink implements DecisionSink {
  private readonly delivered: DecisionEvent[] = [];
  private batchCount = 0;

  async export(events: readonly DecisionEvent[]): Promise<void> {
    this.batchCount++;
    for (const event of events) this.delivered.push(event);
  }

  /** Every event delivered so far, in delivery order. */
  get events(): readonly DecisionEvent[] {
    return this.delivered;
  }

  /** Number of export calls so far. */
  get batches(): number {
    return this.batchCount;
  }

  reset(): void {
    this.delivered.length = 0;
    this.batchCount = 0;
  }
}
