import type { ContextSpan } from '@decision-trace/model';

/** The order of a trace's spans in `getTrace`: start time, then span id. */
export function compareContextSpans(a: ContextSpan, b: ContextSpan): number {
  const aStart = BigInt(a.start_time_unix_nano);
  const bStart = BigInt(b.start_time_unix_nano);
  if (aStart !== bStart) return aStart < bStart ? -1 : 1;
  return a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0;
}
