import { encodeTraceRequestJson, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ExporterFactory, TraceBatch } from '../../component/component.js';
import { StartError } from '../../component/start-error.js';
import { spanRequestEncoder } from '../../exporter-helper/span-export-request.js';
import { QueuedExporter } from '../../exporter-helper/queued-exporter.js';
import { queuedLogsExporter, queuedMetricsExporter } from '../../exporter-helper/signal-exporters.js';
import { otlpHttpExporterSchema, signalUrl, type OtlpHttpExporterConfig } from './config.js';
import { OtlpHttpSender } from './otlp-http-sender.js';

/**
 * Forwards spans (after the processors' changes) and metrics (a connector's) to any OTLP/HTTP
 * endpoint: an OpenTelemetry Collector, Jaeger, Tempo, Prometheus… through a sending queue with
 * retries (one queue per signal, as in the Collector).
 */
export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  configSchema: otlpHttpExporterSchema,
  forwardsReceivedEncoding: (config) => config.encoding === 'proto',
  // With protobuf it writes spans that reach it unchanged as the bytes they arrived in, which the
  // decoder keeps wherever it leaves outlines (@decision-trace/otlp span-outline.ts); JSON needs every span whole.
  readsDecisionSpansOnly: (config) => config.encoding === 'proto',
  // An enabled queue without storage answers the client once the batch is in memory.
  acknowledgesFromMemory: (config) => config.sending_queue.enabled && config.sending_queue.storage === undefined,
  create({ id, config, logger, host }) {
    const encodeBody =
      config.encoding === 'json'
        ? (batch: TraceBatch) => Buffer.from(encodeTraceRequestJson(batch.resourceSpans))
        : (batch: TraceBatch) => encodeTraceRequestProtobuf(batch.resourceSpans);
    return new QueuedExporter({
      id,
      logger,
      host,
      unit: 'spans',
      queue: config.sending_queue,
      retry: config.retry_on_failure,
      timeoutMs: config.timeout,
      sender: new OtlpHttpSender(config, maxSockets(config), urlFor(config, 'traces', id)),
      concatenable: config.encoding === 'proto',
      encode: spanRequestEncoder(config.sending_queue, encodeBody),
    });
  },
  createMetrics: (settings) =>
    queuedMetricsExporter(
      settings,
      new OtlpHttpSender(settings.config, maxSockets(settings.config), urlFor(settings.config, 'metrics', settings.id)),
      bodyEncoding(settings.config),
    ),
  createLogs: (settings) =>
    queuedLogsExporter(
      settings,
      new OtlpHttpSender(settings.config, maxSockets(settings.config), urlFor(settings.config, 'logs', settings.id)),
      bodyEncoding(settings.config),
    ),
};

function bodyEncoding(config: OtlpHttpExporterConfig): 'protobuf' | 'json' {
  return config.encoding === 'json' ? 'json' : 'protobuf';
}

function maxSockets(config: OtlpHttpExporterConfig): number {
  return config.sending_queue.enabled ? config.sending_queue.num_consumers : 16;
}

/** Only known once the exporter is placed in a pipeline: an endpoint for the signal it exports. */
function urlFor(config: OtlpHttpExporterConfig, signal: 'traces' | 'metrics' | 'logs', id: string): URL {
  const url = signalUrl(config, signal);
  if (!url) throw new StartError(`exporters.${id}`, `exports ${signal} but has neither endpoint nor ${signal}_endpoint`);
  return url;
}
