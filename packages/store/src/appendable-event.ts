import { exceedsValueNesting, MAX_NESTING_DEPTH, MAX_PAYLOAD_NESTING, type ReadonlyDecisionEvent } from '@decision-trace/model';

/**
 * Refuses an event the ledger cannot key or order. Every backend checks this before its
 * transaction so that a malformed call fails alone and synchronously, with a TypeError (a RangeError when
 * its payload nests too deep).
 */
export function assertAppendable(event: ReadonlyDecisionEvent): void {
  assertAppendableKeys(event);
  assertPayloadNesting(event);
}

/** The first half of assertAppendable: the ids and time that key and order the event (TypeError). */
export function assertAppendableKeys(event: ReadonlyDecisionEvent): void {
  for (const field of ['tenant_id', 'event_id', 'decision_id', 'event_type', 'timestamp'] as const) {
    if (typeof event?.[field] !== 'string' || event[field] === '') {
      throw new TypeError(`cannot append a decision event without a ${field}`);
    }
  }
}

/**
 * The second half of assertAppendable: the payload nests no deeper than MAX_PAYLOAD_NESTING
 * (RangeError). The event is a container too, so an event whose containers nest no deeper than
 * EVENT_NESTING_WITHIN_PAYLOAD_LIMIT passes this check without it.
 */
export function assertPayloadNesting(event: ReadonlyDecisionEvent): void {
  // Every input path refuses such values; this keeps any other caller (the in-process SDK) from
  // storing a record that could not be read back without overflowing the stack. A RangeError,
  // as for a cyclic payload (which this refuses too: it nests without end).
  if (exceedsValueNesting(event.payload, MAX_PAYLOAD_NESTING)) {
    throw new RangeError(`cannot append a decision event whose payload values nest deeper than ${MAX_NESTING_DEPTH} levels`);
  }
}

/** The payload is one level below its event: an event this shallow has a payload within MAX_PAYLOAD_NESTING. */
export const EVENT_NESTING_WITHIN_PAYLOAD_LIMIT = MAX_PAYLOAD_NESTING + 1;
