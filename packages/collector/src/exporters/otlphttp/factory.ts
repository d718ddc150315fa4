import { encodeTraceRequestJson, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ExporterFactory, TraceBatch } from '../../component/component.js';
import { carriesDecisionData } from '../../exporter-helper/decision-data.js';
import type { ExportRequest } from '../../exporter-helper/export-request.js';
import { QueuedExporter } from '../../exporter-helper/queued-exporter.js';
import { otlpHttpExporterSchema, type OtlpHttpExporterConfig } from './config.js';
import { OtlpHttpSender } from './otlp-http-sender.js';

/**
 * Forwards spans (after the processors' changes) to any OTLP/HTTP endpoint: an OpenTelemetry
 * Collector, Jaeger, Tempo… through a sending queue with retries.
 */
export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpExporterConfig> = {
  kind: 'exporter',
  type: 'otlphttp',
  configSchema: otlpHttpExporterSchema,
  create({ id, config, logger, host }) {
    const encodeBody =
      config.encoding === 'json'
        ? (batch: TraceBatch) => Buffer.from(encodeTraceRequestJson(batch.resourceSpans))
        : (batch: TraceBatch) => encodeTraceRequestProtobuf(batch.resourceSpans);
    const prioritise = config.sending_queue.drop_context_on_overflow;
    return new QueuedExporter({
      id,
      logger,
      host,
      unit: 'spans',
      queue: config.sending_queue,
      retry: config.retry_on_failure,
      timeoutMs: config.timeout,
      sender: new OtlpHttpSender(config, config.sending_queue.enabled ? config.sending_queue.num_consumers : 16),
      encode(batch): ExportRequest | undefined {
        if (batch.spanCount === 0) return undefined;
        return {
          body: encodeBody(batch),
          items: batch.spanCount,
          // Looking into every span only matters when context may be dropped for room.
          carriesDecisions: prioritise ? carriesDecisionData(batch) : batch.decisions.length > 0,
        };
      },
    });
  },
};
