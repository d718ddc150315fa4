import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ExporterFactory } from '../../component/component.js';
import { carriesDecisionData } from '../../exporter-helper/decision-data.js';
import type { ExportRequest } from '../../exporter-helper/export-request.js';
import { QueuedExporter } from '../../exporter-helper/queued-exporter.js';
import { otlpGrpcExporterSchema, type OtlpGrpcExporterConfig } from './config.js';
import { OtlpGrpcSender } from './grpc-sender.js';

/** Forwards spans to any OTLP/gRPC endpoint through a sending queue with retries. */
export const otlpGrpcExporterFactory: ExporterFactory<OtlpGrpcExporterConfig> = {
  kind: 'exporter',
  type: 'otlp',
  configSchema: otlpGrpcExporterSchema,
  create({ id, config, logger, host }) {
    const prioritise = config.sending_queue.drop_context_on_overflow;
    return new QueuedExporter({
      id,
      logger,
      host,
      unit: 'spans',
      queue: config.sending_queue,
      retry: config.retry_on_failure,
      timeoutMs: config.timeout,
      sender: new OtlpGrpcSender(config),
      encode(batch): ExportRequest | undefined {
        if (batch.spanCount === 0) return undefined;
        return {
          body: encodeTraceRequestProtobuf(batch.resourceSpans),
          items: batch.spanCount,
          carriesDecisions: prioritise ? carriesDecisionData(batch) : batch.decisions.length > 0,
        };
      },
    });
  },
};
