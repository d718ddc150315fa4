import type { CounterHandle, MetricsRegistry } from '../telemetry/metrics-registry.js';

/** What an exporter counts: spans or metric points for OTLP exporters, decision events for the decisions exporter. */
export type ExportUnit = 'spans' | 'decision_events' | 'metric_points' | 'log_records';

export interface ExporterMetrics {
  /** Taken on: queued, or sent when there is no queue. */
  accepted: CounterHandle;
  /** Delivered and accepted by the destination. */
  sent: CounterHandle;
  /** Given up: a permanent error, rejected by the destination, or retries exhausted. */
  sendFailed: CounterHandle;
  /** Refused at the door because the queue was full: the caller was asked to retry. */
  enqueueFailed: CounterHandle;
  /** Discarded on purpose: context dropped on overflow, or a memory queue's rest at shutdown. */
  dropped: CounterHandle;
  /** Attempts that were followed by another attempt. */
  retries: CounterHandle;
}

export function exporterMetrics(registry: MetricsRegistry, exporterId: string, unit: ExportUnit): ExporterMetrics {
  const labels = { exporter: exporterId };
  const noun = { spans: 'Spans', metric_points: 'Metric points', log_records: 'Log records', decision_events: 'Decision events' }[unit];
  const counter = (name: string, help: string) => registry.counter(`otelcol_exporter_${name}_${unit}_total`, `${noun} ${help}`).with(labels);
  return {
    accepted: counter('accepted', 'the exporter took on (queued, or sent when it has no queue).'),
    sent: counter('sent', 'the destination accepted.'),
    sendFailed: counter('send_failed', 'given up on: permanent errors, rejections and exhausted retries.'),
    enqueueFailed: counter('enqueue_failed', 'refused because the sending queue was full (the sender was asked to retry).'),
    dropped: counter('dropped', 'discarded on purpose: context dropped on overflow, or left in a memory queue at shutdown.'),
    retries: registry.counter('otelcol_exporter_retries_total', 'Failed send attempts that were retried.').with(labels),
  };
}

export function registerQueueGauges(
  registry: MetricsRegistry,
  exporterId: string,
  extraLabels: Readonly<Record<string, string>>,
  read: { size(): number; capacity(): number; inFlight(): number },
): void {
  const labels = { exporter: exporterId, ...extraLabels };
  registry.gauge('otelcol_exporter_queue_size', 'Current size of the sending queue (in its sizer units).').observe(labels, read.size);
  registry.gauge('otelcol_exporter_queue_capacity', 'Capacity of the sending queue (in its sizer units).').observe(labels, read.capacity);
  registry.gauge('otelcol_exporter_in_flight_requests', 'Requests being sent or waiting to be retried.').observe(labels, read.inFlight);
}

/** A persistent queue's losses to a damaged journal (counted at start, when the journal is read). */
export function journalLossCounters(
  registry: MetricsRegistry,
  exporterId: string,
  extraLabels: Readonly<Record<string, string>> = {},
): { requests: CounterHandle; bytes: CounterHandle } {
  const labels = { exporter: exporterId, ...extraLabels };
  return {
    requests: registry
      .counter('otelcol_exporter_queue_lost_requests_total', 'Queued requests lost because the persistent queue journal was damaged (at least this many).')
      .with(labels),
    bytes: registry.counter('otelcol_exporter_queue_lost_bytes_total', 'Bytes of damaged persistent queue journal that held lost requests.').with(labels),
  };
}
