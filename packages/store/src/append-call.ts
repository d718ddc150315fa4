import type { ContextSpan, DecisionEvent } from '@decision-trace/model';

/**
 * One call a backend's group commit takes: `append(events)` or `appendContextSpans(spans)`.
 * A collector batch makes one of each in the same turn; committing them together costs one
 * transaction, and the token roll-up of a trace is computed once for both.
 */
export type AppendCall = { events: DecisionEvent[]; spans?: undefined } | { spans: ContextSpan[]; events?: undefined };
