import type { DecisionRecord, ReadonlyResourceSpans, ReadonlyScopeSpans, ReadonlySpan } from '@decision-trace/model';

/** Spans of one trace that arrived under one resource and scope; the originals are referenced, not copied. */
export interface BufferedSpans {
  resourceSpans: ReadonlyResourceSpans;
  scopeSpans: ReadonlyScopeSpans;
  spans: ReadonlySpan[];
}

/** What a tail-sampling policy sees of one trace. */
export interface TraceData {
  readonly traceId: string;
  groups: BufferedSpans[];
  spanCount: number;
  /** The trace's decisions folded into records (key: tenant + NUL + decision id). */
  decisions: Map<string, DecisionRecord>;
  /** Protobuf-encoded size of the spans, computed when a policy first asks. */
  encodedSize?: number;
}

export function forEachSpan(trace: TraceData, visit: (span: ReadonlySpan, group: BufferedSpans) => boolean | void): boolean {
  for (const group of trace.groups) {
    for (const span of group.spans) if (visit(span, group) === true) return true;
  }
  return false;
}
