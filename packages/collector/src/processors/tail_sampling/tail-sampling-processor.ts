import type { Logger } from 'pino';
import type { DecisionEvent, ReadonlyDecisionEvent, ReadonlyResourceSpans } from '@decision-trace/model';
import {
  TailSampler,
  annotateDecisions,
  samplingEvent,
  samplingOfVerdict,
  systemClock,
  type Clock,
  type ReleasedTrace,
  type TailSamplerConfig,
  type TailSamplerMetrics,
} from '@decision-trace/sampling';
import type { DecidedTrace, ProcessorComponent, TraceBatch, TracesConsumer } from '../../component/component.js';
import type { Labels, MetricsRegistry } from '../../telemetry/metrics-registry.js';
import { TailSamplingMetrics } from './tail-sampling-metrics.js';

/** Verdicts that could not be delivered are retried on the next tick, up to this many events. */
const MAX_RETRY_EVENTS = 10_000;

export interface TailSamplingTelemetry extends TailSamplerMetrics {
  tracesInMemory: number;
  tracesTracked: number;
  /** Follow-up decision events that could not be delivered and were given up. */
  verdictEventsLost: number;
}

/**
 * Holds spans per trace (TailSampler), forwards every decision event at once, and when a
 * trace is decided sends its spans on (if sampled) together with one `decision.sampling`
 * event per decision of the trace, so every record learns whether its trace was kept.
 */
export class TailSamplingProcessor implements ProcessorComponent {
  private readonly engine: TailSampler;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private retry: ReadonlyDecisionEvent[] = [];
  private verdictEventsLost = 0;
  private readonly metrics: TailSamplingMetrics;

  constructor(
    private readonly config: TailSamplerConfig,
    private readonly next: TracesConsumer,
    private readonly logger: Logger,
    telemetry: { registry: MetricsRegistry; labels: Labels },
    private readonly clock: Clock = systemClock,
    private readonly onTraceDecided?: (verdict: DecidedTrace) => void,
  ) {
    // ottl_condition policies with error_mode ignore log the conditions that failed, as otelcol does.
    this.engine = new TailSampler(config, clock, { warn: (message, fields) => this.logger.warn(fields, message) });
    this.metrics = new TailSamplingMetrics(
      telemetry.registry,
      telemetry.labels,
      config.policies.map((policy) => policy.name),
      { tracesTracked: () => this.engine.tracesTracked, tracesAwaitingDecision: () => this.engine.tracesInMemory },
    );
  }

  telemetry(): TailSamplingTelemetry {
    return {
      ...this.engine.metrics,
      tracesInMemory: this.engine.tracesInMemory,
      tracesTracked: this.engine.tracesTracked,
      verdictEventsLost: this.verdictEventsLost,
    };
  }

  async start(): Promise<void> {
    const waits = [this.config.decision_wait, this.config.decision_wait_after_root_received].filter((ms) => ms > 0);
    // Decisions are at most a tenth of the shortest wait late (and never more than a second).
    const tickMs = Math.min(1000, Math.max(5, Math.min(...waits, 10_000) / 10));
    this.timer = setInterval(() => void this.tick(), tickMs);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    const released = this.engine.decideAll();
    this.publishMetrics();
    await this.emit(released);
  }

  async consumeTraces(batch: TraceBatch): Promise<void> {
    const result = this.engine.ingest(batch.resourceSpans, batch.decisions, batch.tenant);
    this.publishMetrics();
    let decisions = annotateDecisions(batch.decisions, (event) => {
      const verdict = event.trace_id ? result.verdicts.get(event.trace_id) : undefined;
      return verdict === undefined ? undefined : samplingOfVerdict(verdict);
    });
    if (result.evicted.length > 0) {
      this.reportDecided(result.evicted);
      this.logger.warn({ traces: result.evicted.length }, 'num_traces reached: oldest traces dropped before their decision');
      decisions = [...decisions, ...this.followUps(result.evicted)];
    }
    if (result.spanCount === 0 && decisions.length === 0) return;
    await this.next.consumeTraces({ resourceSpans: result.resourceSpans, spanCount: result.spanCount, decisions, tenant: batch.tenant });
  }

  /** Runs due decisions now; the timer calls it, tests may too. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    const released = this.engine.decideDue();
    // Between batches only decisions change the counts, and most ticks decide nothing.
    if (released.length > 0) this.publishMetrics();
    this.ticking = this.emit(released).finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private publishMetrics(): void {
    this.metrics.publish(this.engine.metrics, this.verdictEventsLost);
  }

  private followUps(released: ReleasedTrace[]): DecisionEvent[] {
    const timestamp = new Date(this.clock.now()).toISOString();
    const events: DecisionEvent[] = [];
    for (const trace of released) {
      if (trace.decisions.length === 0) continue;
      const sampling = samplingOfVerdict(trace.verdict, trace.headAdjustedCount, trace.reason);
      for (const record of trace.decisions) events.push(samplingEvent(record, sampling, timestamp));
    }
    return events;
  }

  private reportDecided(released: ReleasedTrace[]): void {
    if (!this.onTraceDecided) return;
    for (const trace of released) this.onTraceDecided({ traceId: trace.traceId, decision: trace.verdict.decision, policy: trace.verdict.policy });
  }

  private async emit(released: ReleasedTrace[]): Promise<void> {
    this.reportDecided(released);
    const retry = this.retry;
    this.retry = [];
    if (released.length === 0 && retry.length === 0) return;
    // One batch per tenant the receiving batches vouched for.
    const byTenant = new Map<string | undefined, ReleasedTrace[]>();
    for (const trace of released) {
      const list = byTenant.get(trace.tenant);
      if (list) list.push(trace);
      else byTenant.set(trace.tenant, [trace]);
    }
    // Retried verdicts carry their tenant in each event: no batch tenant needed.
    if (retry.length > 0) await this.deliver({ resourceSpans: [], spanCount: 0, decisions: retry });
    for (const [tenant, traces] of byTenant) {
      const resourceSpans: ReadonlyResourceSpans[] = [];
      let spanCount = 0;
      for (const trace of traces) {
        if (trace.verdict.decision !== 'sampled') continue;
        resourceSpans.push(...trace.resourceSpans);
        spanCount += trace.spanCount;
      }
      const decisions = this.followUps(traces);
      if (spanCount === 0 && decisions.length === 0) continue;
      await this.deliver({ resourceSpans, spanCount, decisions, tenant });
    }
  }

  private async deliver(batch: TraceBatch): Promise<void> {
    try {
      await this.next.consumeTraces(batch);
    } catch (error) {
      const room = MAX_RETRY_EVENTS - this.retry.length;
      const kept = batch.decisions.slice(0, Math.max(0, room));
      this.retry.push(...kept);
      this.verdictEventsLost += batch.decisions.length - kept.length;
      this.publishMetrics();
      this.logger.error(
        { err: error, spans: batch.spanCount, decisions: batch.decisions.length },
        'forwarding sampled traces failed; their verdicts will be retried',
      );
    }
  }
}
