import { POLICY_DECISIONS, type FinalDecision, type PolicyDecision, type TailSamplerMetrics } from '@decision-trace/sampling';
import type { CounterHandle, Labels, MetricsRegistry } from '../../telemetry/metrics-registry.js';

/** What the engine knows that is read at scrape time rather than counted. */
export interface TailSamplingGauges {
  /** Traces in memory, decided or waiting: what `num_traces` bounds. */
  tracesTracked(): number;
  tracesAwaitingDecision(): number;
}

/**
 * The Collector's `sampled` and `decision` labels for a policy's verdict: its metric knows only
 * sampled, not_sampled and dropped, so the inverted verdicts count as what they stand for.
 */
const FINAL_DECISIONS: readonly FinalDecision[] = ['sampled', 'not_sampled', 'dropped'];

const POLICY_LABELS: Record<PolicyDecision, { sampled: string; decision: FinalDecision }> = {
  sampled: { sampled: 'true', decision: 'sampled' },
  invert_sampled: { sampled: 'true', decision: 'sampled' },
  not_sampled: { sampled: 'false', decision: 'not_sampled' },
  invert_not_sampled: { sampled: 'false', decision: 'not_sampled' },
  dropped: { sampled: 'false', decision: 'dropped' },
};

/** One engine count and the series it feeds (created with its first non-zero count). */
interface TrackedCount {
  read(engine: Readonly<TailSamplerMetrics>, verdictEventsLost: number): number;
  published: number;
  series: () => CounterHandle;
  handle?: CounterHandle;
}

/**
 * Publishes the tail sampler's counts on the collector's `/metrics`, under the OpenTelemetry
 * Collector's `otelcol_processor_tail_sampling_*` names where it has one. The engine keeps plain
 * numbers (it is pure and shared with the offline `sampling test`); `publish` adds what grew
 * since the last call, so it runs after every engine call and costs one pass over the counts.
 */
export class TailSamplingMetrics {
  private readonly counts: TrackedCount[] = [];

  constructor(registry: MetricsRegistry, labels: Labels, policyNames: readonly string[], gauges: TailSamplingGauges) {
    const policyTraces = registry.counter(
      'otelcol_processor_tail_sampling_count_traces_sampled_total',
      'Traces each policy sampled or not (policy, sampled, decision).',
    );
    const policySpans = registry.counter(
      'otelcol_processor_tail_sampling_count_spans_sampled_total',
      'Spans of the traces each policy sampled or not, as buffered when it decided (policy, sampled, decision).',
    );
    for (const policy of policyNames) {
      for (const decision of POLICY_DECISIONS) {
        const policyLabels = { ...labels, policy, ...POLICY_LABELS[decision] };
        this.track(
          (engine) => engine.policyDecisions[policy]?.[decision] ?? 0,
          () => policyTraces.with(policyLabels),
        );
        this.track(
          (engine) => engine.policySpans[policy]?.[decision] ?? 0,
          () => policySpans.with(policyLabels),
        );
      }
    }
    const finalTraces = registry.counter(
      'otelcol_processor_tail_sampling_global_count_traces_sampled_total',
      'Traces sampled, not sampled or dropped by the final decision.',
    );
    for (const decision of FINAL_DECISIONS) {
      const finalLabels = { ...labels, sampled: decision === 'sampled' ? 'true' : 'false', decision };
      this.track(
        (engine) => engine.finalDecisions[decision],
        () => finalTraces.with(finalLabels),
      );
    }
    const counter = (name: string, help: string) => () => registry.counter(name, help).with(labels);
    this.track(
      (engine) => engine.newTraces,
      counter('otelcol_processor_tail_sampling_new_trace_id_received_total', 'Traces whose first span arrived (new to memory and to the decision caches).'),
    );
    this.track(
      (engine) => engine.evictedBeforeDecision,
      counter('otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total', 'Traces pushed out of memory by num_traces before their decision.'),
    );
    this.track(
      (engine) => engine.lateSpans,
      counter('otelcol_processor_tail_sampling_late_spans_total', 'Spans that arrived after their trace was decided and followed its verdict.'),
    );
    this.track(
      (engine) => engine.decidedAfterRoot,
      counter('otelcol_processor_tail_sampling_decided_after_root_total', 'Traces decided early by decision_wait_after_root_received.'),
    );
    this.track(
      (engine) => engine.evaluationErrors,
      counter(
        'otelcol_processor_tail_sampling_sampling_policy_evaluation_error_total',
        'Policy evaluations that failed (an ottl_condition with error_mode propagate); the policy was left out of that decision.',
      ),
    );
    this.track(
      (_engine, lost) => lost,
      counter(
        'otelcol_processor_tail_sampling_verdict_events_lost_total',
        'Follow-up decision.sampling events given up after the pipeline kept refusing them.',
      ),
    );
    registry
      .gauge('otelcol_processor_tail_sampling_sampling_traces_on_memory', 'Traces held in memory, decided or waiting (bounded by num_traces).')
      .observe(labels, gauges.tracesTracked);
    registry
      .gauge('otelcol_processor_tail_sampling_traces_awaiting_decision', 'Traces in memory whose decision is still pending.')
      .observe(labels, gauges.tracesAwaitingDecision);
  }

  publish(engine: Readonly<TailSamplerMetrics>, verdictEventsLost: number): void {
    for (const count of this.counts) {
      const value = count.read(engine, verdictEventsLost);
      if (value === count.published) continue;
      count.handle ??= count.series();
      count.handle.add(value - count.published);
      count.published = value;
    }
  }

  private track(read: TrackedCount['read'], series: () => CounterHandle): void {
    this.counts.push({ read, published: 0, series });
  }
}
