import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ExporterFactory } from '../../component/component.js';
import { queuedLogsExporter, queuedMetricsExporter } from '../../exporter-helper/signal-exporters.js';
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
  // An enabled queue without storage answers the client once the batch is in memory.
  acknowledgesFromMemory: (config) => config.sending_queue.enabled && config.sending_queue.storage === undefined,
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
  createMetrics: (settings) => queuedMetricsExporter(settings, new OtlpGrpcSender(settings.config, EXPORT_METHODS.metrics), 'protobuf'),
  createLogs: (settings) => queuedLogsExporter(settings, new OtlpGrpcSender(settings.config, EXPORT_METHODS.logs), 'protobuf'),
};
