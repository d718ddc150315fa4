import {
  applyEvent,
  ArrivalQueue,
  LruMap,
  type DecisionRecord,
  type ReadonlyDecisionEvent,
  type ReadonlyResourceSpans,
  type ReadonlySpan,
} from '@decision-trace/model';
import type { Clock } from '../clock.js';
import { SpanGroups } from '../span-groups.js';
import { decideTrace, orderPolicies, type FinalDecision, type NamedPolicy, type TraceVerdict } from './final-decision.js';
import { buildPolicy } from './policies/build-policy.js';
import { POLICY_DECISIONS, type PolicyDecision, type PolicyHooks } from './policies/policy.js';
import type { PolicyConfig } from './policy-config.js';
import type { TraceData } from './trace-data.js';

/**
 * Tail sampling with the OpenTelemetry Collector's semantics, without I/O: spans are held per
 * trace for `decision_wait` after the trace's first span (or `decision_wait_after_root_received`
 * after its root span, when sooner), then the policies decide. Memory is bounded by
 * `num_traces`: the oldest trace goes first, counted when it had not been decided yet. A
 * decided trace keeps only its verdict, so late spans follow it; the decision caches keep
 * verdicts beyond that. The caller drives time: `decideDue()` on a timer, `decideAll()` at
 * shutdown.
 */
export interface TailSamplerConfig {
  /** Milliseconds. */
  decision_wait: number;
  /** Milliseconds; 0 disables. */
  decision_wait_after_root_received: number;
  num_traces: number;
  /** Accepted for compatibility; a JS Map needs no pre-sizing. */
  expected_new_traces_per_sec?: number;
  decision_cache: { sampled_cache_size: number; non_sampled_cache_size: number };
  sample_on_first_match: boolean;
  drop_pending_traces_on_shutdown?: boolean;
  policies: PolicyConfig[];
}

export type ReleaseReason = 'decided' | 'evicted' | 'shutdown';

export interface ReleasedTrace {
  traceId: string;
  verdict: TraceVerdict;
  reason: ReleaseReason;
  /** The trace's buffered spans when sampled; empty otherwise. */
  resourceSpans: ReadonlyResourceSpans[];
  spanCount: number;
  /** The trace's decisions as far as its events were seen. */
  decisions: DecisionRecord[];
  /** Head samplers' adjusted count seen on the trace's decision events, if any. */
  headAdjustedCount: number | null;
  /** The tenant the receiving batch vouched for. */
  tenant?: string;
}

export interface IngestResult {
  /** Late spans of traces already decided as sampled: forward them now. */
  resourceSpans: ReadonlyResourceSpans[];
  spanCount: number;
  /** Verdicts of already decided traces that this batch touched (for its decision events). */
  verdicts: Map<string, TraceVerdict>;
  /** Traces pushed out of memory by this batch. */
  evicted: ReleasedTrace[];
}

export interface TailSamplerMetrics {
  /** Per policy name, how often it returned each decision. */
  policyDecisions: Record<string, Record<PolicyDecision, number>>;
  /** Per policy name and decision, the spans of the traces it decided on. */
  policySpans: Record<string, Record<PolicyDecision, number>>;
  finalDecisions: Record<FinalDecision, number>;
  /** Trace ids seen for the first time (or again after they left memory and the caches). */
  newTraces: number;
  /** Spans that arrived after their trace was decided. */
  lateSpans: number;
  /** Traces pushed out by `num_traces` before their decision. */
  evictedBeforeDecision: number;
  /** Decisions made early because the root span had arrived. */
  decidedAfterRoot: number;
  /** Policy evaluations that failed (an OTTL condition with error_mode propagate); those policies were left out. */
  evaluationErrors: number;
}

interface TraceEntry extends TraceData {
  firstArrival: number;
  rootSeen: boolean;
  verdict: TraceVerdict | null;
  tenant: string | undefined;
  headAdjustedCount: number | null;
}

interface Due {
  traceId: string;
  at: number;
  afterRoot: boolean;
}

export class TailSampler {
  readonly metrics: TailSamplerMetrics;
  private readonly policies: NamedPolicy[];
  private readonly traces = new Map<string, TraceEntry>();
  /**
   * The tracked entries in the order they were tracked (the order of `traces`, which only
   * `track` adds to and deletes from), so the oldest is found in O(1). Asking the Map for its
   * first key instead walks every slot its earlier deletions left behind: at a full
   * num_traces of 100,000 that cost over 100 µs per new trace.
   */
  private readonly arrivals = new ArrivalQueue<TraceEntry>();
  private readonly sampledCache: LruMap<string, TraceVerdict>;
  private readonly notSampledCache: LruMap<string, TraceVerdict>;
  private readonly waitQueue: Due[] = [];
  private waitHead = 0;
  private readonly rootQueue: Due[] = [];
  private rootHead = 0;
  private pending = 0;

  constructor(
    private readonly config: TailSamplerConfig,
    private readonly clock: Clock,
    hooks: PolicyHooks = {},
  ) {
    if (config.policies.length === 0) throw new Error('tail sampling needs at least one policy');
    this.policies = orderPolicies(
      config.policies.map((policy) => ({ name: policy.name, isDrop: policy.type === 'drop', evaluator: buildPolicy(policy, clock, hooks) })),
    );
    this.sampledCache = new LruMap(config.decision_cache.sampled_cache_size);
    this.notSampledCache = new LruMap(config.decision_cache.non_sampled_cache_size);
    const policyDecisions: TailSamplerMetrics['policyDecisions'] = {};
    const policySpans: TailSamplerMetrics['policySpans'] = {};
    for (const policy of this.policies) {
      policyDecisions[policy.name] = Object.fromEntries(POLICY_DECISIONS.map((d) => [d, 0])) as Record<PolicyDecision, number>;
      policySpans[policy.name] = Object.fromEntries(POLICY_DECISIONS.map((d) => [d, 0])) as Record<PolicyDecision, number>;
    }
    this.metrics = {
      policyDecisions,
      policySpans,
      finalDecisions: { sampled: 0, not_sampled: 0, dropped: 0 },
      newTraces: 0,
      lateSpans: 0,
      evictedBeforeDecision: 0,
      decidedAfterRoot: 0,
      evaluationErrors: 0,
    };
  }

  /** Traces waiting for their decision. */
  get tracesInMemory(): number {
    return this.pending;
  }

  /** Traces remembered in memory, decided or not (what `num_traces` bounds). */
  get tracesTracked(): number {
    return this.traces.size;
  }

  ingest(resourceSpans: readonly ReadonlyResourceSpans[], decisions: readonly ReadonlyDecisionEvent[] = [], tenant?: string): IngestResult {
    const now = this.clock.now();
    const late = new SpanGroups();
    const verdicts = new Map<string, TraceVerdict>();
    const evicted: ReleasedTrace[] = [];
    let current: TraceEntry | undefined;

    for (const resource of resourceSpans) {
      for (const scope of resource.scopeSpans) {
        let group: { spans: ReadonlySpan[] } | undefined;
        let groupTrace: TraceEntry | undefined;
        for (const span of scope.spans) {
          const traceId = span.traceId;
          if (current === undefined || current.traceId !== traceId) current = this.traces.get(traceId);
          if (current === undefined) {
            const cached = this.cachedVerdict(traceId);
            if (cached !== undefined) {
              this.metrics.lateSpans++;
              verdicts.set(traceId, cached);
              if (cached.decision === 'sampled') late.add(resource, scope, span);
              continue;
            }
            current = this.track(traceId, now, tenant, evicted);
          }
          if (current.verdict !== null) {
            this.metrics.lateSpans++;
            verdicts.set(traceId, current.verdict);
            if (current.verdict.decision === 'sampled') late.add(resource, scope, span);
            continue;
          }
          if (groupTrace !== current) {
            const last = current.groups[current.groups.length - 1];
            if (last !== undefined && last.scopeSpans === scope) group = last;
            else {
              group = { spans: [] };
              current.groups.push({ resourceSpans: resource, scopeSpans: scope, spans: group.spans });
            }
            groupTrace = current;
          }
          group!.spans.push(span);
          current.spanCount++;
          current.encodedSize = undefined;
          if (span.parentSpanId === '' && !current.rootSeen) {
            current.rootSeen = true;
            const afterRoot = this.config.decision_wait_after_root_received;
            if (afterRoot > 0 && now + afterRoot < current.firstArrival + this.config.decision_wait) {
              this.rootQueue.push({ traceId, at: now + afterRoot, afterRoot: true });
            }
          }
        }
      }
    }

    // A trace pushed out by this very batch has not seen the batch's decision events yet.
    const evictedNow = evicted.length === 0 ? undefined : new Map(evicted.map((trace) => [trace.traceId, trace]));
    for (const event of decisions) {
      const traceId = event.trace_id;
      if (traceId === null || traceId === '') continue;
      const entry = this.traces.get(traceId);
      if (entry !== undefined && entry.verdict === null) {
        const key = `${event.tenant_id}\u0000${event.decision_id}`;
        entry.decisions.set(key, applyEvent(entry.decisions.get(key), event));
        const adjusted = event.sampling?.adjusted_count;
        if (typeof adjusted === 'number') entry.headAdjustedCount = Math.max(entry.headAdjustedCount ?? 0, adjusted);
        continue;
      }
      const gone = entry === undefined ? evictedNow?.get(traceId) : undefined;
      if (gone !== undefined) {
        const index = gone.decisions.findIndex((record) => record.id === event.decision_id && record.tenant === event.tenant_id);
        if (index === -1) gone.decisions.push(applyEvent(undefined, event));
        else gone.decisions[index] = applyEvent(gone.decisions[index], event);
        continue;
      }
      const verdict = entry?.verdict ?? this.cachedVerdict(traceId);
      if (verdict !== undefined && verdict !== null) verdicts.set(traceId, verdict);
    }

    return { resourceSpans: late.toResourceSpans(), spanCount: late.count, verdicts, evicted };
  }

  /** When the next decision falls due (ms on the clock), or undefined when nothing waits. */
  nextDueAt(): number | undefined {
    const wait = this.waitQueue[this.waitHead]?.at;
    const root = this.rootQueue[this.rootHead]?.at;
    if (wait === undefined) return root;
    if (root === undefined) return wait;
    return Math.min(wait, root);
  }

  /** Decides every trace whose wait has elapsed. */
  decideDue(): ReleasedTrace[] {
    const now = this.clock.now();
    const released: ReleasedTrace[] = [];
    this.waitHead = this.drain(this.waitQueue, this.waitHead, now, released);
    this.rootHead = this.drain(this.rootQueue, this.rootHead, now, released);
    return released;
  }

  /** Decides (or, with drop_pending_traces_on_shutdown, drops) every trace still waiting. */
  decideAll(): ReleasedTrace[] {
    const released: ReleasedTrace[] = [];
    for (const entry of this.traces.values()) {
      if (entry.verdict !== null) continue;
      if (this.config.drop_pending_traces_on_shutdown) {
        released.push(this.release(entry, { decision: 'not_sampled', policy: null, adjustedCount: null }, 'shutdown'));
      } else {
        released.push(this.release(entry, this.decide(entry), 'decided'));
      }
    }
    this.waitQueue.length = 0;
    this.waitHead = 0;
    this.rootQueue.length = 0;
    this.rootHead = 0;
    return released;
  }

  private drain(queue: Due[], head: number, now: number, released: ReleasedTrace[]): number {
    while (head < queue.length && queue[head].at <= now) {
      const due = queue[head++];
      const entry = this.traces.get(due.traceId);
      // Stale: evicted, already decided, or a newer trace under the same id.
      if (entry === undefined || entry.verdict !== null) continue;
      if (!due.afterRoot && entry.firstArrival + this.config.decision_wait !== due.at) continue;
      if (due.afterRoot) this.metrics.decidedAfterRoot++;
      released.push(this.release(entry, this.decide(entry), 'decided'));
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      return 0;
    }
    return head;
  }

  private decide(entry: TraceEntry): TraceVerdict {
    const counts = this.metrics.policyDecisions;
    const spans = this.metrics.policySpans;
    return decideTrace(
      this.policies,
      entry,
      this.config.sample_on_first_match,
      (policy, decision) => {
        counts[policy][decision]++;
        spans[policy][decision] += entry.spanCount;
      },
      () => {
        this.metrics.evaluationErrors++;
      },
    );
  }

  private release(entry: TraceEntry, verdict: TraceVerdict, reason: ReleaseReason): ReleasedTrace {
    let resourceSpans: ReadonlyResourceSpans[] = [];
    if (verdict.decision === 'sampled') {
      const groups = new SpanGroups();
      for (const group of entry.groups) groups.addAll(group.resourceSpans, group.scopeSpans, group.spans);
      resourceSpans = groups.toResourceSpans();
    }
    if (reason !== 'evicted') this.metrics.finalDecisions[verdict.decision]++;
    const released: ReleasedTrace = {
      traceId: entry.traceId,
      verdict,
      reason,
      resourceSpans,
      spanCount: entry.spanCount,
      decisions: [...entry.decisions.values()],
      headAdjustedCount: entry.headAdjustedCount,
      tenant: entry.tenant,
    };
    this.pending--;
    if (reason === 'evicted') return released;
    // Keep only the verdict: late spans follow it until the trace is pushed out.
    entry.verdict = verdict;
    entry.groups = [];
    entry.decisions = new Map();
    entry.encodedSize = undefined;
    if (verdict.decision === 'sampled') this.sampledCache.set(entry.traceId, verdict);
    else this.notSampledCache.set(entry.traceId, verdict);
    return released;
  }

  private track(traceId: string, now: number, tenant: string | undefined, evicted: ReleasedTrace[]): TraceEntry {
    const entry: TraceEntry = {
      traceId,
      groups: [],
      spanCount: 0,
      decisions: new Map(),
      firstArrival: now,
      rootSeen: false,
      verdict: null,
      tenant,
      headAdjustedCount: null,
    };
    this.traces.set(traceId, entry);
    this.arrivals.push(entry);
    this.pending++;
    this.metrics.newTraces++;
    this.waitQueue.push({ traceId, at: now + this.config.decision_wait, afterRoot: false });
    while (this.traces.size > this.config.num_traces) {
      const oldest = this.arrivals.shift()!;
      this.traces.delete(oldest.traceId);
      if (oldest.verdict === null) {
        this.metrics.evictedBeforeDecision++;
        evicted.push(this.release(oldest, { decision: 'not_sampled', policy: null, adjustedCount: null }, 'evicted'));
      }
    }
    return entry;
  }

  private cachedVerdict(traceId: string): TraceVerdict | undefined {
    return this.sampledCache.get(traceId) ?? this.notSampledCache.get(traceId);
  }
}
