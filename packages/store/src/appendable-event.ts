import type { DecisionEvent } from '@decision-trace/model';

/**
 * Refuses an event the ledger cannot key or order. Every backend checks this before its
 * transaction so that a malformed call fails alone and synchronously, with a TypeError.
 */
export function assertAppendable(event: DecisionEvent): void {
  for (const field of ['tenant_id', 'event_id', 'decision_id', 'event_type', 'timestamp'] as const) {
    if (typeof event?.[field] !== 'string' || event[field] === '') {
      throw new TypeError(`cannot append a decision event without a ${field}`);
    }
  }
}
