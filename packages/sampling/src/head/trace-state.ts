import { createTraceState, type TraceState } from '@opentelemetry/api';

/** The parent's tracestate with `ot` set (moved to the front) or removed when empty. */
export function traceStateWithOt(parent: TraceState | undefined, otValue: string): TraceState {
  const base = parent ?? createTraceState();
  return otValue === '' ? base.unset('ot') : base.set('ot', otValue);
}
