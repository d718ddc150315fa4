import type { ContextSpan, ReadonlyDecisionEvent, SelectedContextSpans } from '@decision-trace/model';
import type { AppendResult } from './store.js';
import { packContextSpans, packSelectedSpans, type ContextSpanPack } from './context-span-pack.js';
import { toLedgerEvents } from './ledger-events.js';

/**
 * One call a backend's group commit takes: `append(events)` or `appendContextSpans(spans)`,
 * the spans packed per trace (context-span-pack.ts). A collector batch makes one of each in
 * the same turn; committing them together costs one transaction, and the token roll-up of a
 * trace is computed once for both.
 */
export type AppendCall =
  | {
      /** The events as their ledger rows read back (ledger-events.ts), which the store folds. */
      events: readonly ReadonlyDecisionEvent[];
      /**
       * Each event's canonical JSON (ledger-hash.ts), the ledger's `event` column and the input
       * of its hash; each event is what parseJsonExact reads back from it (key order aside), so
       * the worker store sends the JSON alone (worker/append-message.ts). Computed in the
       * caller's thread: it depends on the event alone, and the worker store's thread, which
       * appends, is the busier one.
       */
      eventJson: string[];
      packs?: undefined;
    }
  | { packs: ContextSpanPack[]; events?: undefined; eventJson?: undefined };

/**
 * The call of `append(events)` or `appendContextSpans(spans)`, checked and packed as every
 * backend's group commit takes it; null when there is nothing to store. Throws for an event no
 * store may keep.
 */
export function appendCallOf(input: { events: readonly ReadonlyDecisionEvent[] } | { spans: ContextSpan[] | SelectedContextSpans }): AppendCall | null {
  if ('events' in input) {
    return input.events.length === 0 ? null : toLedgerEvents(input.events);
  }
  const { spans } = input;
  if (Array.isArray(spans)) return spans.length === 0 ? null : { packs: packContextSpans(spans) };
  return spans.spans.length === 0 ? null : { packs: packSelectedSpans(spans) };
}

/**
 * `append(events)` or `appendContextSpans(spans)` as the stores that group AppendCalls take it:
 * checked and packed here, then handed to `commit`; nothing to store resolves at once, and a
 * refused event rejects.
 */
export function submitAppendCall(
  input: { events: readonly ReadonlyDecisionEvent[] } | { spans: ContextSpan[] | SelectedContextSpans },
  commit: (call: AppendCall) => Promise<AppendResult>,
): Promise<AppendResult> {
  let call: AppendCall | null;
  try {
    call = appendCallOf(input);
  } catch (error) {
    return Promise.reject(error);
  }
  return call === null ? Promise.resolve({ appended: 0, duplicates: 0 }) : commit(call);
}
