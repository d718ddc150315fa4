import { parseJsonExact, type ReadonlyDecisionEvent } from '@decision-trace/model';
import type { AppendCall } from '../append-call.js';
import type { ContextSpanPack } from '../context-span-pack.js';

/**
 * An AppendCall as it travels to the store worker. Structured clone copies strings at a
 * fraction of what it costs to walk an event's objects, and the worker parses JSON about as
 * fast as it would rebuild those objects from the clone: so events whose canonical JSON reads
 * back as them (nearly all; see ledgerCanonicalJsonReadBack) go as that JSON alone. Any other
 * call's events go as they are, as structured clone copies them (a Date stays a Date, a
 * function fails the message and so, group-commit.ts, that call alone).
 *
 * The worker's record of such an event differs from the caller's object only in the order of
 * object keys (canonical JSON sorts them), as the fold of its ledger events does, which
 * verification compares it with.
 */
export type AppendMessage =
  | { eventJson: string[]; events?: readonly ReadonlyDecisionEvent[]; packs?: undefined }
  | { packs: ContextSpanPack[]; eventJson?: undefined; events?: undefined };

export function toAppendMessage(call: AppendCall): AppendMessage {
  if (call.packs !== undefined) return { packs: call.packs };
  return call.eventsReadBack ? { eventJson: call.eventJson } : { eventJson: call.eventJson, events: call.events };
}

/** The worker side: the call back, its events parsed from their JSON when they came without. */
export function fromAppendMessage(message: AppendMessage): AppendCall {
  if (message.packs !== undefined) return { packs: message.packs };
  const { eventJson } = message;
  if (message.events !== undefined) return { events: message.events, eventJson, eventsReadBack: false };
  const events = new Array<ReadonlyDecisionEvent>(eventJson.length);
  for (let i = 0; i < eventJson.length; i++) events[i] = parseJsonExact(eventJson[i]!) as ReadonlyDecisionEvent;
  return { events, eventJson, eventsReadBack: true };
}
