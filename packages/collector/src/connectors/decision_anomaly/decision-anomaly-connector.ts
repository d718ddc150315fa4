import type { Counter, HrTime } from '@opentelemetry/api';
import { SeverityNumber, type LogAttributes } from '@opentelemetry/api-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { extractDecisionEvents, isNoteWrittenHere, LineageIndex } from '@decision-trace/model';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Logger } from 'pino';
import type { LogsConsumer, MetricsConsumer, TraceBatch, TracesToMetricsConnector } from '../../component/component.js';
import { countDataPoints } from '../../exporter-helper/metrics-encoding.js';
import { DecisionTracker } from '../../shared/decision-tracker.js';
import type { DecisionAnomalyConnectorConfig } from './config.js';
import { DecisionMonitors, type AnomalyAlert } from './decision-monitor.js';

class OnDemandReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const RESOURCE = resourceFromAttributes({ 'service.name': 'decision-trace-collector' });
const SCOPE = { name: 'decision-trace/decision_anomaly' };

/** Where an instance's alerts go: a metrics instance counts them, a logs instance writes one record each. */
export type AnomalyOutput = { metrics: MetricsConsumer; logs?: undefined } | { logs: LogsConsumer; metrics?: undefined };

/**
 * Watches each decision type and version for a shift of its outcome mix, its policies' pass
 * rates and its mean confidence (sequential tests against a baseline, see decision-monitor.ts).
 * As in the Collector, the connector runs one instance per signal it feeds: the metrics
 * instance counts each alert in `decision.anomaly.alerts` (and logs it with its evidence in the
 * collector's log), the logs instance sends each alert as an OTLP log record with its evidence.
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
  /** Alert records waiting for the next flush (logs instance). */
  private pending: ReadableLogRecord[] = [];

  constructor(
    private readonly config: DecisionAnomalyConnectorConfig,
    private readonly logger: Logger,
    private readonly output: AnomalyOutput,
    private readonly options: { extractItself: boolean } = { extractItself: true },
  ) {
    this.provider = new MeterProvider({ resource: RESOURCE, readers: [this.reader] });
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
    const what = alert.signal === 'confidence_mean' ? 'mean confidence' : alert.signal === 'outcome_rate' ? `rate of outcome "${alert.subject}"` : `pass rate of policy "${alert.subject}"`;
    const message = `decision anomaly: ${what} of ${alert.type}${alert.version ? ` ${alert.version}` : ''} went ${alert.direction}`;
    if (this.output.logs) {
      this.pending.push(alertRecord(alert, message));
      this.logger.debug({ alert }, message);
      return;
    }
    this.alerts.add(1, {
      'decision.type': alert.type,
      ...(alert.version !== null ? { 'decision.version': alert.version } : {}),
      'decision.tenant': alert.tenant,
      'anomaly.signal': alert.signal,
      'anomaly.subject': alert.subject,
      'anomaly.direction': alert.direction,
    });
    this.logger.warn({ alert }, message);
  }

  private async collectAndSend(): Promise<void> {
    if (this.output.logs) {
      const records = this.pending;
      this.pending = [];
      if (records.length === 0) return;
      try {
        await this.output.logs.consumeLogs({ records });
      } catch (error) {
        this.logger.warn({ err: error, alerts: records.length }, 'the logs pipelines refused anomaly alerts; they are kept for the next flush');
        this.pending = [...records, ...this.pending];
      }
      return;
    }
    const { resourceMetrics } = await this.reader.collect();
    const dataPointCount = countDataPoints(resourceMetrics);
    if (dataPointCount === 0) return;
    try {
      await this.output.metrics.consumeMetrics({ resourceMetrics, dataPointCount });
    } catch (error) {
      this.logger.warn({ err: error }, 'the metrics pipelines refused the anomaly counts; the next flush sends the totals again');
    }
  }
}

/** An alert as an OTLP log record: the message as body, the evidence as attributes. */
function alertRecord(alert: AnomalyAlert, message: string): ReadableLogRecord {
  const now = Date.now();
  const time: HrTime = [Math.floor(now / 1000), (now % 1000) * 1_000_000];
  const attributes: LogAttributes = {
    'decision.type': alert.type,
    'decision.tenant': alert.tenant,
    'anomaly.signal': alert.signal,
    'anomaly.subject': alert.subject,
    'anomaly.direction': alert.direction,
    'anomaly.baseline.count': alert.baseline.count,
    'anomaly.current.count': alert.current.count,
    'anomaly.example_decision_ids': alert.example_decision_ids,
  };
  if (alert.version !== null) attributes['decision.version'] = alert.version;
  if (alert.baseline.version !== null) attributes['anomaly.baseline.version'] = alert.baseline.version;
  for (const [key, value] of [
    ['anomaly.baseline.rate', alert.baseline.rate],
    ['anomaly.baseline.mean', alert.baseline.mean],
    ['anomaly.current.rate', alert.current.rate],
    ['anomaly.current.mean', alert.current.mean],
    ['anomaly.p_value', alert.p_value],
  ] as const) {
    if (value !== undefined) attributes[key] = value;
  }
  return {
    hrTime: time,
    hrTimeObserved: time,
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    eventName: 'decision.anomaly',
    body: message,
    resource: RESOURCE,
    instrumentationScope: SCOPE,
    attributes,
    droppedAttributesCount: 0,
  };
}
