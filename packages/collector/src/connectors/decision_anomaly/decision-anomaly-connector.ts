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
import { monitorSettings, type DecisionAnomalyConnectorConfig } from './config.js';
import { DecisionMonitors, type AnomalyAlert, type MonitorSettings } from './decision-monitor.js';
import { loadMonitorState, saveMonitorState } from './monitor-state-file.js';

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
  private monitors: DecisionMonitors;
  private readonly lineage = new LineageIndex();
  private readonly settings: MonitorSettings;
  private timer?: NodeJS.Timeout;
  private saveTimer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private saving?: Promise<void>;
  /** Alert records waiting for the next flush (logs instance). */
  private pending: ReadableLogRecord[] = [];

  constructor(
    private readonly config: DecisionAnomalyConnectorConfig,
    private readonly logger: Logger,
    private readonly output: AnomalyOutput,
    private readonly options: {
      extractItself: boolean;
      /** Where this instance saves its baselines and tests (from `storage`); none: in memory only. */
      stateFile?: string;
    } = { extractItself: true },
  ) {
    this.provider = new MeterProvider({ resource: RESOURCE, readers: [this.reader] });
    this.alerts = this.provider
      .getMeter('decision-trace/decision_anomaly')
      .createCounter('decision.anomaly.alerts', { unit: '{alert}', description: 'Shifts of a decision type and version from its baseline.' });
    this.tracker = new DecisionTracker(config.max_tracked_decisions);
    this.settings = monitorSettings(config);
    this.monitors = new DecisionMonitors(this.settings);
  }

  async start(): Promise<void> {
    await this.restore();
    this.timer = setInterval(() => void this.flush(), this.config.metrics_flush_interval);
    this.timer.unref();
    if (this.options.stateFile) {
      this.saveTimer = setInterval(() => void this.save(), this.config.storage_save_interval);
      this.saveTimer.unref();
    }
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.saveTimer);
    await this.flush();
    await this.saving; // a periodic save in flight holds older state: the last save comes after it
    await this.save();
    await this.provider.shutdown();
  }

  /** Takes up the saved baselines; a damaged or incompatible file is reported and left for the next save to replace. */
  private async restore(): Promise<void> {
    const file = this.options.stateFile;
    if (!file) return;
    const loaded = await loadMonitorState(file, this.settings);
    if ('missing' in loaded) return;
    if ('unusable' in loaded) {
      this.logger.warn({ file }, `the saved decision_anomaly state ${loaded.unusable}: starting with fresh baselines`);
      return;
    }
    try {
      this.monitors.restore(loaded.state);
      this.logger.info({ file, streams: this.monitors.size }, 'decision_anomaly baselines restored');
    } catch (error) {
      this.monitors = new DecisionMonitors(this.settings);
      this.logger.warn({ file, err: error }, 'the saved decision_anomaly state could not be taken up: starting with fresh baselines');
    }
  }

  /** Saves the baselines and tests (one save at a time); a failure is logged and the next save tries again. */
  private save(): Promise<void> {
    const file = this.options.stateFile;
    if (!file) return Promise.resolve();
    this.saving ??= saveMonitorState(file, this.settings, this.monitors.state())
      .catch((error: unknown) => this.logger.warn({ file, err: error }, 'could not save the decision_anomaly state; the next save tries again'))
      .finally(() => (this.saving = undefined));
    return this.saving;
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
    const message = alertMessage(alert);
    if (this.output.logs) {
      this.pending.push(alertRecord(alert));
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

/** One line saying what shifted, e.g. `decision anomaly: rate of outcome "approved" of refund.approve v2 went up`. */
export function alertMessage(alert: AnomalyAlert): string {
  const of = `${alert.type}${alert.version ? ` ${alert.version}` : ''}`;
  if (alert.signal === 'outcome_mix') return `decision anomaly: outcome mix of ${of} shifted ("${alert.subject}" went ${alert.direction})`;
  const what =
    alert.signal === 'confidence_mean'
      ? 'mean confidence'
      : alert.signal === 'outcome_rate'
        ? `rate of outcome "${alert.subject}"`
        : `pass rate of policy "${alert.subject}"`;
  return `decision anomaly: ${what} of ${of} went ${alert.direction}`;
}

/** An alert as an OTLP log record: the message as body, the evidence as attributes. */
export function alertRecord(alert: AnomalyAlert): ReadableLogRecord {
  const message = alertMessage(alert);
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
    ['anomaly.statistic', alert.statistic],
    ['anomaly.degrees_of_freedom', alert.degrees_of_freedom],
  ] as const) {
    if (value !== undefined) attributes[key] = value;
  }
  if (alert.outcome_counts) {
    // Parallel arrays (OTLP attribute arrays hold one primitive type): outcome i has baseline[i] and current[i].
    attributes['anomaly.outcomes'] = alert.outcome_counts.outcomes;
    attributes['anomaly.baseline.outcome_counts'] = alert.outcome_counts.baseline;
    attributes['anomaly.current.outcome_counts'] = alert.outcome_counts.current;
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
