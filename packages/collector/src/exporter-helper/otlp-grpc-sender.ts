import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { ExportError } from './export-error.js';
import type { RequestSender, SendOutcome } from './export-request.js';
import { decodePartialSuccess, decodeRpcStatus, retryDelayOf } from './otlp-responses.js';
import { loadTls } from './tls-config.js';
import { parseGrpcEndpoint, type OtlpGrpcExporterConfig } from './otlp-grpc-config.js';

/** The Export method of each signal's OTLP service. */
export const EXPORT_METHODS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;
const GZIP = 2;

/** Codes the OTLP specification says to retry (RESOURCE_EXHAUSTED only with RetryInfo). */
const RETRYABLE_CODES = new Set<number>([
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.ABORTED,
  status.OUT_OF_RANGE,
  status.UNAVAILABLE,
  status.DATA_LOSS,
]);

/**
 * One OTLP/gRPC Export call (TraceService or MetricsService). The request is already protobuf bytes, so it is
 * passed through as is (as the receiver does), with gzip message compression when configured.
 */
export class OtlpGrpcSender implements RequestSender {
  private client?: Client;
  private readonly metadata = new Metadata();

  constructor(
    private readonly config: OtlpGrpcExporterConfig,
    private readonly method: string = EXPORT_METHODS.traces,
  ) {
    for (const [key, value] of Object.entries(config.headers)) this.metadata.set(key.toLowerCase(), value);
  }

  async start(): Promise<void> {
    const target = parseGrpcEndpoint(this.config.endpoint)!;
    const insecure = target.insecure ?? this.config.tls.insecure;
    const tls = await loadTls(this.config.tls);
    const channelCredentials = insecure
      ? credentials.createInsecure()
      : credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null, { rejectUnauthorized: tls.rejectUnauthorized });
    this.client = new Client(target.address, channelCredentials, {
      ...(this.config.compression === 'gzip' ? { 'grpc.default_compression_algorithm': GZIP } : {}),
      ...(tls.servername ? { 'grpc.ssl_target_name_override': tls.servername } : {}),
    });
  }

  send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome | void> {
    const client = this.client!;
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest<Uint8Array, Buffer>(
        this.method,
        (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
        (bytes) => bytes,
        body,
        this.metadata,
        { deadline: Date.now() + this.config.timeout },
        (error, response) => {
          signal.removeEventListener('abort', onAbort);
          if (error) {
            reject(classify(error));
            return;
          }
          const partial = response ? decodePartialSuccess(response, 'protobuf') : undefined;
          resolve(partial ? { rejectedItems: partial.rejected, message: partial.message } : undefined);
        },
      );
      const onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.client?.close();
  }
}

function classify(error: ServiceError): ExportError {
  const reason = `gRPC ${status[error.code] ?? error.code}: ${error.details || error.message}`;
  const details = error.metadata?.get('grpc-status-details-bin')[0];
  const retryDelay = details instanceof Buffer ? retryDelayOf(decodeRpcStatus(details)) : undefined;
  const retryable = RETRYABLE_CODES.has(error.code) || (error.code === status.RESOURCE_EXHAUSTED && retryDelay !== undefined);
  if (!retryable) return ExportError.permanent(reason, error);
  return ExportError.retryable(reason, { throttleMs: retryDelay, cause: error });
}
