import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ExporterFactory, LogsBatch, MetricsBatch } from '../../component/component.js';
import { encodeLogsRequest } from '../../exporter-helper/logs-encoding.js';
import { encodeMetricsRequest } from '../../exporter-helper/metrics-encoding.js';
import { spanRequestEncoder } from '../../exporter-helper/span-export-request.js';
import { QueuedExporter } from '../../exporter-helper/queued-exporter.js';
import { otlpGrpcExporterSchema, type OtlpGrpcExporterConfig } from './config.js';
import { EXPORT_METHODS, OtlpGrpcSender } from '../../exporter-helper/otlp-grpc-sender.js';

/** Forwards spans and metrics to any OTLP/gRPC endpoint through a sending queue (one per signal) with retries. */
export const otlpGrpcExporterFactory: ExporterFactory<OtlpGrpcExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  configSchema: otlpGrpcExporterSchema,
  forwardsReceivedEncoding: () => true,
  // It writes spans that reach it unchanged as the bytes they arrived in, which the decoder keeps
  // wherever it leaves outlines (@decision-trace/otlp span-outline.ts): it reads no span's content.
  readsDecisionSpansOnly: () => true,
  create({ id, config, logger, host }) {
    return new QueuedExporter({
      id,
      logger,
      host,
      unit: 'spans',
      queue: config.sending_queue,
      retry: config.retry_on_failure,
      timeoutMs: config.timeout,
      sender: new OtlpGrpcSender(config),
      concatenable: true,
      encode: spanRequestEncoder(config.sending_queue, (batch) => encodeTraceRequestProtobuf(batch.resourceSpans)),
    });
  },
  createMetrics({ id, config, logger, host }) {
    return new QueuedExporter<MetricsBatch>({
      id,
      logger,
      host,
      unit: 'metric_points',
      dataType: 'metrics',
      queue: config.sending_queue,
      retry: config.retry_on_failure,
      timeoutMs: config.timeout,
      sender: new OtlpGrpcSender(config, EXPORT_METHODS.metrics),
      concatenable: true,
      itemsOf: (batch) => batch.dataPointCount,
      encode: (batch) => encodeMetricsRequest(batch, 'protobuf'),
    });
  },
  createLogs({ id, config, logger, host }) {
    return new QueuedExporter<LogsBatch>({
      id,
      logger,
      host,
      unit: 'log_records',
      dataType: 'logs',
      queue: config.sending_queue,
      retry: config.retry_on_failure,
      timeoutMs: config.timeout,
      sender: new OtlpGrpcSender(config, EXPORT_METHODS.logs),
      concatenable: true,
      itemsOf: (batch) => batch.records.length,
      encode: (batch) => encodeLogsRequest(batch, 'protobuf'),
    });
  },
};
