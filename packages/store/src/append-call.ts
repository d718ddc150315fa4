import type { DecisionEvent } from '@decision-trace/model';
import type { ContextSpanPack } from './context-span-pack.js';

/**
 * One call a backend's group commit takes: `append(events)` or `appendContextSpans(spans)`,
 * the spans packed per trace (context-span-pack.ts). A collector batch makes one of each in
 * the same turn; committing them together costs one transaction, and the token roll-up of a
 * trace is computed once for both.
 */
export type AppendCall = { events: DecisionEvent[]; packs?: undefined } | { packs: ContextSpanPack[]; events?: undefined };
