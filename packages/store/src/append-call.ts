import type { ContextSpan, DecisionEvent } from '@decision-trace/model';
import { assertAppendable } from './appendable-event.js';
import { packContextSpans, type ContextSpanPack } from './context-span-pack.js';

/**
 * One call a backend's group commit takes: `append(events)` or `appendContextSpans(spans)`,
 * the spans packed per trace (context-span-pack.ts). A collector batch makes one of each in
 * the same turn; committing them together costs one transaction, and the token roll-up of a
 * trace is computed once for both.
 */
export type AppendCall = { events: DecisionEvent[]; packs?: undefined } | { packs: ContextSpanPack[]; events?: undefined };

/**
 * The call of `append(events)` or `appendContextSpans(spans)`, checked and packed as every
 * backend's group commit takes it; null when there is nothing to store. Throws for an event no
 * store may keep.
 */
export function appendCallOf(input: { events: DecisionEvent[] } | { spans: ContextSpan[] }): AppendCall | null {
  if ('events' in input) {
    if (input.events.length === 0) return null;
    for (const event of input.events) assertAppendable(event);
    return { events: input.events };
  }
  return input.spans.length === 0 ? null : { packs: packContextSpans(input.spans) };
}
