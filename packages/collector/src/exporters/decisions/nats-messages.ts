import { createHash } from 'node:crypto';
import { encodeDecisionEventsJson, type ReadonlyDecisionEvent } from '@decision-trace/model';

/** One JetStream message: a JSON array of decision events and the id JetStream de-duplicates by. */
export interface DecisionMessage {
  data: Uint8Array;
  /** `Nats-Msg-Id`: the same events, in the same order, give the same id. */
  msgId: string;
  events: number;
}

export class EventTooLargeError extends Error {
  constructor(eventId: string, bytes: number, maxPayload: number) {
    super(`decision event ${eventId} is ${bytes} bytes encoded, more than the NATS server's max_payload (${maxPayload})`);
    this.name = 'EventTooLargeError';
  }
}

const encoder = new TextEncoder();

/**
 * The messages for a batch's decision events: one when it fits the server's `max_payload`,
 * otherwise halves until each does. A single event larger than `max_payload` cannot be
 * published and is refused (EventTooLargeError). The body is what `POST /v1/events` takes, so a
 * writer reads it with `parseCanonicalEvents`.
 */
export function decisionMessages(events: readonly ReadonlyDecisionEvent[], maxPayload: number): DecisionMessage[] {
  const out: DecisionMessage[] = [];
  const readable = events.some(hasNullSamplingField) ? events.map(withoutNullSamplingFields) : events;
  const encode = (part: readonly ReadonlyDecisionEvent[]) => {
    const data = encoder.encode(encodeDecisionEventsJson(part));
    if (data.byteLength <= maxPayload) {
      out.push({ data, msgId: messageId(part), events: part.length });
      return;
    }
    if (part.length === 1) throw new EventTooLargeError(part[0].event_id, data.byteLength, maxPayload);
    const middle = Math.ceil(part.length / 2);
    encode(part.slice(0, middle));
    encode(part.slice(middle));
  };
  if (readable.length > 0) encode(readable);
  return out;
}

/**
 * A sampler's verdict says `policy: null` / `adjusted_count: null` when it has none, which the
 * events' wire format (`parseCanonicalEvents`) refuses; absent means the same, so such fields
 * are left out rather than have the writer reject the verdict.
 */
function hasNullSamplingField(event: ReadonlyDecisionEvent): boolean {
  return event.sampling !== undefined && (event.sampling.policy === null || event.sampling.adjusted_count === null);
}

function withoutNullSamplingFields(event: ReadonlyDecisionEvent): ReadonlyDecisionEvent {
  if (!hasNullSamplingField(event)) return event;
  const { policy, adjusted_count: adjustedCount, ...rest } = event.sampling!;
  return {
    ...event,
    sampling: {
      ...rest,
      ...(policy !== null && policy !== undefined ? { policy } : {}),
      ...(adjustedCount !== null && adjustedCount !== undefined ? { adjusted_count: adjustedCount } : {}),
    },
  };
}

/**
 * SHA-256 of the events' (tenant, event id) pairs: a redelivered batch (the client retried after
 * a lost acknowledgement) gets the id it had, and JetStream drops the copy within its
 * duplicate window. Beyond the window, the store's own idempotence (tenant, event id) still holds.
 */
export function messageId(events: readonly ReadonlyDecisionEvent[]): string {
  const hash = createHash('sha256');
  for (const event of events) hash.update(`${event.tenant_id}\u0000${event.event_id}\n`);
  return hash.digest('hex');
}
