import { parseJsonExact, type ReadonlyDecisionEvent } from '@decision-trace/model';
import type { AppendCall } from '../append-call.js';
import type { ContextSpanPack } from '../context-span-pack.js';

/**
 * An AppendCall as it travels to the store worker. Structured clone copies strings at a
 * fraction of what it costs to walk an event's objects, and the worker parses JSON about as
 * fast as it would rebuild those objects from the clone: so events go as their canonical JSON
 * alone, which reads back as the call's events (ledger-events.ts).
 *
 * The worker's record of an event differs from the caller's object only in the order of object
 * keys (canonical JSON sorts them), as the fold of its ledger events does, which verification
 * compares it with.
 */
export type AppendMessage = { eventJson: string[]; packs?: undefined } | { packs: ContextSpanPack[]; eventJson?: undefined };

export function toAppendMessage(call: AppendCall): AppendMessage {
  return call.packs !== undefined ? { packs: call.packs } : { eventJson: call.eventJson };
}

/** The worker side: the call back, its events parsed from their JSON. */
export function fromAppendMessage(message: AppendMessage): AppendCall {
  if (message.packs !== undefined) return { packs: message.packs };
  const { eventJson } = message;
  const events = new Array<ReadonlyDecisionEvent>(eventJson.length);
  for (let i = 0; i < eventJson.length; i++) events[i] = parseJsonExact(eventJson[i]!) as ReadonlyDecisionEvent;
  return { events, eventJson };
}
