import { DEFAULT_TENANT, LruMap, resourceServiceName, selectedContextSpans, type ReadonlySpan, type SelectedContextSpans } from '@decision-trace/model';
import type { TraceBatch } from '../../component/component.js';

/**
 * Chooses the spans the decisions exporter keeps as context spans: those of traces in which a
 * decision appeared (the trace view and the token roll-up read them), never the rest.
 *
 * A trace's spans come in several requests and in any order, and SDKs export a span when it
 * ends: the LLM calls inside a decision usually arrive BEFORE the decision span itself. So:
 * - traces known to hold a decision (seen in this batch or an earlier one) are remembered, at
 *   most `maxDecisionTraces` of them, least recently used forgotten first; their spans are kept
 *   as they arrive;
 * - spans of other traces wait in a bounded buffer, at most `maxPendingSpans` spans for at most
 *   `maxPendingAgeMs`; when a decision of their trace arrives they are kept too. The oldest
 *   traces leave the buffer first when it is full; a waiting trace keeps at most
 *   `maxPendingSpansPerTrace` spans (later ones are not buffered).
 * What leaves the buffer unclaimed is dropped: it belonged to a trace without decisions, or
 * its decision came later than the window.
 *
 * Tenants: a batch's authenticated tenant owns its spans. Otherwise the spans of a trace take
 * the tenant of the first decision seen in it (a decision may name its tenant itself).
 */
export interface ContextSpanWindowOptions {
  maxPendingSpans: number;
  maxPendingAgeMs: number;
  maxDecisionTraces: number;
  maxPendingSpansPerTrace?: number;
  now?: () => number;
}

interface PendingTrace {
  spans: ReadonlySpan[];
  serviceNames: (string | null)[];
  since: number;
}

/**
 * Per authenticated tenant (or '' for unauthenticated batches), so tenants never share a trace.
 * Both are LruMaps rather than Maps because the oldest entry is wanted at every eviction: a
 * Map's first key is found by walking every slot its earlier deletions left behind.
 */
interface TenantScope {
  /** Trace id → the tenant its context spans are stored under. Least recently used first. */
  decisionTraces: LruMap<string, string>;
  /** Trace id → spans waiting for a decision. Oldest first (never moved: read with `peek`). */
  pending: LruMap<string, PendingTrace>;
}

const DEFAULT_MAX_PENDING_PER_TRACE = 2000;

export class ContextSpanWindow {
  readonly #scopes = new Map<string, TenantScope>();
  readonly #options: Required<ContextSpanWindowOptions>;
  #pendingSpans = 0;
  #decisionTraceCount = 0;

  constructor(options: ContextSpanWindowOptions) {
    this.#options = {
      maxPendingSpansPerTrace: Math.min(DEFAULT_MAX_PENDING_PER_TRACE, options.maxPendingSpans),
      now: Date.now,
      ...options,
    };
  }

  /** Spans waiting for a decision of their trace. */
  get pendingSpans(): number {
    return this.#pendingSpans;
  }

  /**
   * The context spans to store for this batch (from the batch and from the buffer): the decoded
   * spans with their tenant and service name, which the store packs as they are.
   */
  select(batch: TraceBatch): SelectedContextSpans {
    const now = this.#options.now();
    const scopeKey = batch.tenant ?? '';
    const scope = this.#scope(scopeKey);
    const selected = selectedContextSpans();
    const { spans: selectedSpans, tenants, serviceNames } = selected;

    const newlyKnown = this.#learnDecisionTraces(scope, batch);
    for (const traceId of newlyKnown) {
      const waiting = scope.pending.peek(traceId);
      if (waiting === undefined) continue;
      scope.pending.delete(traceId);
      this.#pendingSpans -= waiting.spans.length;
      const tenant = scope.decisionTraces.peek(traceId)!;
      for (let i = 0; i < waiting.spans.length; i++) {
        selectedSpans.push(waiting.spans[i]!);
        tenants.push(tenant);
        serviceNames.push(waiting.serviceNames[i]!);
      }
    }

    // A batch's spans come trace by trace: the previous span's trace is usually this one's, and
    // comparing its id costs less than hashing it again.
    let traceId: string | null = null;
    let tenant: string | undefined;
    for (const resource of batch.resourceSpans) {
      const serviceName = resourceServiceName(resource.resource);
      for (const scopeSpans of resource.scopeSpans) {
        const spans = scopeSpans.spans;
        for (let i = 0; i < spans.length; i++) {
          const span = spans[i]!;
          if (span.traceId !== traceId) {
            traceId = span.traceId;
            tenant = scope.decisionTraces.peek(traceId);
          }
          if (tenant !== undefined) {
            selectedSpans.push(span);
            tenants.push(tenant);
            serviceNames.push(serviceName);
          } else this.#wait(scope, span, serviceName, now);
        }
      }
    }
    this.#expire(now);
    return selected;
  }

  #scope(key: string): TenantScope {
    let scope = this.#scopes.get(key);
    if (scope === undefined) this.#scopes.set(key, (scope = { decisionTraces: new LruMap(), pending: new LruMap() }));
    return scope;
  }

  /** Remembers the batch's decision traces; returns those not known before. */
  #learnDecisionTraces(scope: TenantScope, batch: TraceBatch): string[] {
    const newlyKnown: string[] = [];
    for (const decision of batch.decisions) {
      const traceId = decision.trace_id;
      if (traceId === null || traceId === '') continue;
      // Recently used: `get` moves it to the recent end.
      if (scope.decisionTraces.get(traceId) !== undefined) continue;
      scope.decisionTraces.set(traceId, batch.tenant || decision.tenant_id || DEFAULT_TENANT);
      this.#decisionTraceCount += 1;
      newlyKnown.push(traceId);
    }
    while (this.#decisionTraceCount > this.#options.maxDecisionTraces) this.#forgetLeastRecentTrace();
    return newlyKnown;
  }

  #forgetLeastRecentTrace(): void {
    // Scopes are few (one per authenticated tenant); each scope's oldest entry is its first.
    for (const scope of this.#scopes.values()) {
      if (scope.decisionTraces.deleteOldest() === undefined) continue;
      this.#decisionTraceCount -= 1;
      return;
    }
  }

  #wait(scope: TenantScope, span: ReadonlySpan, serviceName: string | null, now: number): void {
    let waiting = scope.pending.peek(span.traceId);
    if (waiting === undefined) {
      scope.pending.set(span.traceId, (waiting = { spans: [], serviceNames: [], since: now }));
    } else if (waiting.spans.length >= this.#options.maxPendingSpansPerTrace) {
      return;
    }
    waiting.spans.push(span);
    waiting.serviceNames.push(serviceName);
    this.#pendingSpans += 1;
  }

  /** Drops traces older than the window, then the oldest ones while the buffer is over its size. */
  #expire(now: number): void {
    const oldestAllowed = now - this.#options.maxPendingAgeMs;
    for (const scope of this.#scopes.values()) {
      for (let waiting = scope.pending.oldestValue(); waiting !== undefined && waiting.since <= oldestAllowed; waiting = scope.pending.oldestValue()) {
        this.#drop(scope, scope.pending.oldestKey()!, waiting);
      }
    }
    while (this.#pendingSpans > this.#options.maxPendingSpans) {
      let oldest: { scope: TenantScope; traceId: string; waiting: PendingTrace } | null = null;
      for (const scope of this.#scopes.values()) {
        const waiting = scope.pending.oldestValue();
        if (waiting === undefined) continue;
        const traceId = scope.pending.oldestKey()!;
        if (oldest === null || waiting.since < oldest.waiting.since) oldest = { scope, traceId, waiting };
      }
      if (oldest === null) break;
      this.#drop(oldest.scope, oldest.traceId, oldest.waiting);
    }
  }

  #drop(scope: TenantScope, traceId: string, waiting: PendingTrace): void {
    scope.pending.delete(traceId);
    this.#pendingSpans -= waiting.spans.length;
  }
}
