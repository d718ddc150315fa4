import type { DecisionEvent } from './event.js';

/**
 * The JSON body of `POST /v1/events` for decision events made by our own code (a collector's
 * remote `decisions` exporter, the in-process SDK's HTTP sink): the events as they are, every
 * type and field, which `parseCanonicalEvents` reads back without loss. Canonical events of
 * schema 1.0 are a subset of this shape, so any Decision Trace backend speaks it.
 */
export function encodeDecisionEventsJson(events: readonly DecisionEvent[]): string {
  return JSON.stringify(events, withoutSource);
}

// The receiving backend records where the event entered it (`api.events`); 64-bit integers
// that did not fit a number travel as decimal strings.
function withoutSource(key: string, value: unknown): unknown {
  if (key === 'source') return undefined;
  return typeof value === 'bigint' ? value.toString(10) : value;
}
