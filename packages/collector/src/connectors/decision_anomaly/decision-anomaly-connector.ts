import type { Counter } from '@opentelemetry/api';
import { extractDecisionEvents, isNoteWrittenHere, LineageIndex } from '@decision-trace/model';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import type { MetricsConsumer, TraceBatch, TracesToMetricsConnector } from '../../component/component.js';
import { countDataPoints } from '../../exporter-helper/metrics-encoding.js';
import { DecisionTracker } from '../../shared/decision-tracker.js';
import type { DecisionAnomalyConnectorConfig } from './config.js';
import { DecisionMonitors, type AnomalyAlert } from './decision-monitor.js';

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/**
 * Watches each decision type and version for a shift of its outcome mix, its policies' pass
 * rates and its mean confidence (sequential tests against a baseline, see decision-monitor.ts).
 * Each alert is logged with its evidence and counted in `decision.anomaly.alerts`, which goes
 * to the metrics pipelines the connector feeds.
 */
export class DecisionAnomalyConnector implements TracesToMetricsConnector {
  private readonly reader = new OnDemandReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  private readonly provider: MeterProvider;
  private readonly alerts: Counter;
  private readonly tracker: DecisionTracker;
  private readonly monitors: DecisionMonitors;
  private readonly lineage = new LineageIndex();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly config: DecisionAnomalyConnectorConfig,
    private readonly logger: Logger,
    private readonly next: MetricsConsumer,
    private readonly options: { extractItself: boolean } = { extractItself: true },
  ) {
    this.provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'decision-trace-collector' }), readers: [this.reader] });
    this.alerts = this.provider
      .getMeter('decision-trace/decision_anomaly')
      .createCounter('decision.anomaly.alerts', { unit: '{alert}', description: 'Shifts of a decision type and version from its baseline.' });
    this.tracker = new DecisionTracker(config.max_tracked_decisions);
    this.monitors = new DecisionMonitors({
      baselineWindow: config.baseline_window,
      rateShift: config.rate_shift,
      confidenceShift: config.confidence_shift,
      threshold: config.threshold,
      minCount: config.min_count,
      examples: config.example_decisions,
    });
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.flush(), this.config.metrics_flush_interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    await this.provider.shutdown();
  }

  async consumeTraces(batch: TraceBatch): Promise<void> {
    const events =
      !this.options.extractItself || batch.decisions.length > 0 || batch.spanCount === 0
        ? batch.decisions
        : extractDecisionEvents(batch.resourceSpans, { tenant: batch.tenant, lineage: this.lineage, trustRedactionNote: isNoteWrittenHere });
    for (const event of events) {
      const completed = this.tracker.observe(event).completed;
      if (!completed) continue;
      for (const alert of this.monitors.observe(completed)) this.raise(alert);
    }
  }

  flush(): Promise<void> {
    this.flushing ??= this.collectAndSend().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private raise(alert: AnomalyAlert): void {
    this.alerts.add(1, {
      'decision.type': alert.type,
      ...(alert.version !== null ? { 'decision.version': alert.version } : {}),
      'decision.tenant': alert.tenant,
      'anomaly.signal': alert.signal,
      'anomaly.subject': alert.subject,
      'anomaly.direction': alert.direction,
    });
    const what = alert.signal === 'confidence_mean' ? 'mean confidence' : alert.signal === 'outcome_rate' ? `rate of outcome "${alert.subject}"` : `pass rate of policy "${alert.subject}"`;
    this.logger.warn({ alert }, `decision anomaly: ${what} of ${alert.type}${alert.version ? ` ${alert.version}` : ''} went ${alert.direction}`);
  }

  private async collectAndSend(): Promise<void> {
    const { resourceMetrics } = await this.reader.collect();
    const dataPointCount = countDataPoints(resourceMetrics);
    if (dataPointCount === 0) return;
    try {
      await this.next.consumeMetrics({ resourceMetrics, dataPointCount });
    } catch (error) {
      this.logger.warn({ err: error }, 'the metrics pipelines refused the anomaly counts; the next flush sends the totals again');
    }
  }
}
