import type { CreateSettings, LogsBatch, MetricsBatch } from '../component/component.js';
import type { RetryConfig, SendingQueueConfig } from './config.js';
import type { RequestSender } from './export-request.js';
import { encodeLogsRequest } from './logs-encoding.js';
import { encodeMetricsRequest } from './metrics-encoding.js';
import { QueuedExporter } from './queued-exporter.js';

/** The keys an OTLP exporter's metrics and logs instances take from its config. */
interface QueuedSignalConfig {
  sending_queue: SendingQueueConfig;
  retry_on_failure: RetryConfig;
  /** Per send attempt, in milliseconds. */
  timeout: number;
}

/**
 * The metrics instance of an OTLP exporter (otlp, otlphttp): a queue of its own beside the
 * traces one (`data_type="metrics"`), sending Export*ServiceRequests through `sender`. Protobuf
 * bodies are concatenable, so waiting requests may merge.
 */
export function queuedMetricsExporter(
  { id, config, logger, host }: CreateSettings<QueuedSignalConfig>,
  sender: RequestSender,
  encoding: 'protobuf' | 'json',
): QueuedExporter<MetricsBatch> {
  return new QueuedExporter<MetricsBatch>({
    id,
    logger,
    host,
    unit: 'metric_points',
    dataType: 'metrics',
    queue: config.sending_queue,
    retry: config.retry_on_failure,
    timeoutMs: config.timeout,
    sender,
    concatenable: encoding === 'protobuf',
    itemsOf: (batch) => batch.dataPointCount,
    encode: (batch) => encodeMetricsRequest(batch, encoding),
  });
}

/** The logs instance of an OTLP exporter, as queuedMetricsExporter (`data_type="logs"`). */
export function queuedLogsExporter(
  { id, config, logger, host }: CreateSettings<QueuedSignalConfig>,
  sender: RequestSender,
  encoding: 'protobuf' | 'json',
): QueuedExporter<LogsBatch> {
  return new QueuedExporter<LogsBatch>({
    id,
    logger,
    host,
    unit: 'log_records',
    dataType: 'logs',
    queue: config.sending_queue,
    retry: config.retry_on_failure,
    timeoutMs: config.timeout,
    sender,
    concatenable: encoding === 'protobuf',
    itemsOf: (batch) => batch.records.length,
    encode: (batch) => encodeLogsRequest(batch, encoding),
  });
}
