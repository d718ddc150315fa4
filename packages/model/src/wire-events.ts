import { stringifyJsonExact } from './exact-json.js';
import type { ReadonlyDecisionEvent } from './event.js';

/**
 * The JSON body of `POST /v1/events` for decision events made by our own code (a collector's
 * remote `decisions` exporter, the in-process SDK's HTTP sink): the events as they are, every
 * type and field, which `parseCanonicalEvents` reads back without loss. Canonical events of
 * schema 1.0 are a subset of this shape, so any Decision Trace backend speaks it.
 */
export function encodeDecisionEventsJson(events: readonly ReadonlyDecisionEvent[]): string {
  // The receiving backend records where the event entered it (`api.events`). 64-bit integers
  // beyond 2^53 (bigints) are written as exact JSON numbers, which the receiver parses exactly.
  return stringifyJsonExact(events.map(withoutSource));
}

function withoutSource(event: ReadonlyDecisionEvent): Omit<ReadonlyDecisionEvent, 'source'> {
  const { source: _source, ...rest } = event;
  return rest;
}
