import { ArrivalQueue } from './arrival-queue.js';
import { LruMap } from './lru-map.js';

/**
 * A bounded, in-memory memory of recently seen spans, so that a decision span can find the
 * decision it was made under even when non-decision spans (HTTP handlers, LLM calls, tools)
 * sit between them, and even when the ancestor arrived in an earlier request.
 *
 * Per trace it keeps spanId → parentSpanId for every span and spanId → decisionId only for
 * decision spans: two string maps instead of one object per span, because this runs for every
 * span in the collector's hot path and most spans are not decisions.
 *
 * Bounds: at most `maxTraces` traces; when a new trace would exceed it, the least recently
 * recorded trace is forgotten. At most `maxSpansPerTrace` spans per trace; beyond it the
 * trace's oldest span is forgotten (recent spans are the likelier ancestors of what comes next).
 */
export interface LineageIndexOptions {
  maxTraces?: number;
  maxSpansPerTrace?: number;
}

interface TraceLineage {
  parentBySpan: Map<string, string>;
  /**
   * The trace's span ids in the order they were first recorded (the order of `parentBySpan`,
   * which only eviction deletes from), so the oldest is found in O(1): asking the Map for its
   * first key walks every slot earlier evictions left behind.
   */
  spanOrder: ArrivalQueue<string>;
  decisionBySpan: Map<string, string>;
  /** Decisions whose ancestry broke at a span not seen yet, keyed by that span id. */
  waitersBySpan?: Map<string, LineageWaiter[]>;
}

/**
 * A decision whose parent could not be settled because a span between it and the root had not
 * arrived yet (children often end, and are exported, before their parents).
 */
export interface LineageWaiter {
  traceId: string;
  decisionId: string;
  tenantId: string;
  /** The waiting decision's own event time, reused for the link event so its times don't move. */
  timestamp: string;
}

export type AncestorLookup = { kind: 'decision'; decisionId: string } | { kind: 'missing'; spanId: string } | { kind: 'none' };

export const DEFAULT_LINEAGE_MAX_TRACES = 10_000;
export const DEFAULT_LINEAGE_MAX_SPANS_PER_TRACE = 10_000;

export class LineageIndex {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  /** Least recently recorded first; evicts it beyond `maxTraces`. */
  private readonly traces: LruMap<string, TraceLineage>;
  private mostRecentTraceId: string | null = null;
  /** Waiters whose missing span has just been recorded, with the span that arrived. */
  private arrived: Array<{ spanId: string; waiter: LineageWaiter }> = [];

  constructor(options: LineageIndexOptions = {}) {
    this.maxTraces = positiveInteger(options.maxTraces, DEFAULT_LINEAGE_MAX_TRACES, 'maxTraces');
    this.maxSpansPerTrace = positiveInteger(options.maxSpansPerTrace, DEFAULT_LINEAGE_MAX_SPANS_PER_TRACE, 'maxSpansPerTrace');
    this.traces = new LruMap(this.maxTraces);
  }

  /** Number of traces currently remembered. */
  get traceCount(): number {
    return this.traces.size;
  }

  /** Number of spans currently remembered for a trace. */
  spanCount(traceId: string): number {
    return this.traces.peek(traceId)?.parentBySpan.size ?? 0;
  }

  /**
   * Remembers a span. `parentSpanId` is '' for a root span; `decisionId` is the decision the
   * span itself carries, or null. Recording a span again replaces what was known about it.
   */
  recordSpan(traceId: string, spanId: string, parentSpanId: string, decisionId: string | null = null): void {
    const trace = this.touchTrace(traceId);
    const { parentBySpan, decisionBySpan } = trace;
    if (!parentBySpan.has(spanId)) {
      if (parentBySpan.size >= this.maxSpansPerTrace) {
        const oldestSpanId = trace.spanOrder.shift()!;
        parentBySpan.delete(oldestSpanId);
        decisionBySpan.delete(oldestSpanId);
      }
      trace.spanOrder.push(spanId);
    }
    parentBySpan.set(spanId, parentSpanId);
    if (decisionId !== null) decisionBySpan.set(spanId, decisionId);
    else if (decisionBySpan.size > 0) decisionBySpan.delete(spanId);
    const waiters = trace.waitersBySpan?.get(spanId);
    if (waiters !== undefined) {
      trace.waitersBySpan!.delete(spanId);
      for (const waiter of waiters) this.arrived.push({ spanId, waiter });
    }
  }

  /**
   * Like `nearestAncestorDecision`, but says why nothing was found: the chain reached a root
   * (`none`) or broke at a span that has not been seen (`missing`), which may still arrive.
   * With `includeSelf` the walk starts at `spanId` itself instead of its parent.
   */
  lookupAncestor(traceId: string, spanId: string, excludeDecisionId: string | null, includeSelf = false): AncestorLookup {
    const trace = this.traces.peek(traceId);
    if (trace === undefined) return { kind: 'missing', spanId };
    const { parentBySpan, decisionBySpan } = trace;
    let current: string | undefined = includeSelf ? spanId : parentBySpan.get(spanId);
    if (current === undefined) return { kind: 'missing', spanId };
    for (let steps = parentBySpan.size + 1; steps > 0; steps--) {
      if (current === '') return { kind: 'none' };
      const decisionId = decisionBySpan.get(current);
      if (decisionId !== undefined && decisionId !== excludeDecisionId) return { kind: 'decision', decisionId };
      const parent: string | undefined = parentBySpan.get(current);
      if (parent === undefined) return { kind: 'missing', spanId: current };
      current = parent;
    }
    return { kind: 'none' };
  }

  /**
   * Parks a decision until `missingSpanId` of its trace is recorded; `takeArrived` then hands it
   * back. Bounded like spans: at most `maxSpansPerTrace` waiters per trace, and they are
   * forgotten with their trace.
   */
  awaitSpan(missingSpanId: string, waiter: LineageWaiter): void {
    const trace = this.touchTrace(waiter.traceId);
    trace.waitersBySpan ??= new Map();
    let count = 0;
    for (const list of trace.waitersBySpan.values()) count += list.length;
    if (count >= this.maxSpansPerTrace) return;
    const list = trace.waitersBySpan.get(missingSpanId);
    if (list === undefined) trace.waitersBySpan.set(missingSpanId, [waiter]);
    else if (!list.some((w) => w.decisionId === waiter.decisionId && w.tenantId === waiter.tenantId)) list.push(waiter);
  }

  /** Waiters whose missing span has arrived since the last call, with that span's id. */
  takeArrived(): Array<{ spanId: string; waiter: LineageWaiter }> {
    if (this.arrived.length === 0) return EMPTY;
    const arrived = this.arrived;
    this.arrived = [];
    return arrived;
  }

  /** The decision carried by the span itself, if it is a known decision span. */
  decisionOf(traceId: string, spanId: string): string | null {
    return this.traces.peek(traceId)?.decisionBySpan.get(spanId) ?? null;
  }

  /** The parent span id of a known span ('' for a root), or undefined when unknown. */
  parentOf(traceId: string, spanId: string): string | undefined {
    return this.traces.peek(traceId)?.parentBySpan.get(spanId);
  }

  /**
   * Walks up from the span's parent through any number of non-decision spans and returns the
   * first decision found, skipping ancestors whose decision is `excludeDecisionId` (other
   * spans of the same decision). The walk stops at a root, at a span not (or no longer) in the
   * index, or after as many steps as the trace has spans, which is what breaks a cycle in
   * corrupt parent links without allocating a visited set.
   */
  nearestAncestorDecision(traceId: string, spanId: string, excludeDecisionId?: string | null): string | null {
    const trace = this.traces.peek(traceId);
    if (trace === undefined) return null;
    const { parentBySpan, decisionBySpan } = trace;
    let current = parentBySpan.get(spanId);
    for (let steps = parentBySpan.size; steps > 0 && current !== undefined && current !== ''; steps--) {
      const decisionId = decisionBySpan.get(current);
      if (decisionId !== undefined && decisionId !== excludeDecisionId) return decisionId;
      current = parentBySpan.get(current);
    }
    return null;
  }

  /** Forgets everything (tests, shutdown). */
  clear(): void {
    this.traces.clear();
    this.mostRecentTraceId = null;
    this.arrived = [];
  }

  private touchTrace(traceId: string): TraceLineage {
    // Spans of one trace usually arrive together; moving the trace to the recent end only when
    // another trace was recorded in between keeps the common case to a single lookup.
    const existing = this.mostRecentTraceId === traceId ? this.traces.peek(traceId) : this.traces.get(traceId);
    if (existing !== undefined) {
      this.mostRecentTraceId = traceId;
      return existing;
    }
    const created: TraceLineage = { parentBySpan: new Map(), spanOrder: new ArrivalQueue(), decisionBySpan: new Map() };
    this.traces.set(traceId, created);
    this.mostRecentTraceId = traceId;
    return created;
  }
}

const EMPTY: Array<{ spanId: string; waiter: LineageWaiter }> = [];

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`LineageIndex ${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}
