import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { decodeTraceRequestProtobuf, encodeExportResponse, OtlpDecodeError } from '@decision-trace/otlp';
import type { TracesConsumer } from '../../component/component.js';
import { PipelineError } from '../../component/pipeline-error.js';
import type { OtlpGrpcConfig } from './config.js';
import { ingest } from './ingest.js';

const MiB = 1024 * 1024;

/**
 * OTLP/gRPC TraceService/Export. Messages pass through as raw bytes and are decoded by the same
 * protobuf decoder as OTLP/HTTP, so both protocols produce identical pipeline data.
 */
export class OtlpGrpcReceiver {
  private readonly server: Server;
  private boundPort = 0;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly next: TracesConsumer,
    private readonly logger: Logger,
  ) {
    this.server = new Server({
      'grpc.max_receive_message_length': Math.floor(config.max_recv_msg_size_mib * MiB),
    });
    this.server.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: (value: Buffer) => value,
          requestDeserialize: (bytes: Buffer) => bytes,
          responseSerialize: (value: Uint8Array) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
          responseDeserialize: (bytes: Buffer) => bytes,
        },
      },
      { Export: (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => this.export(call, callback) },
    );
  }

  get port(): number {
    return this.boundPort;
  }

  start(): Promise<void> {
    const { host, port } = this.config.endpoint;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.server.bindAsync(target, ServerCredentials.createInsecure(), (error, bound) => {
        if (error) {
          reject(new Error(`otlp receiver (grpc): cannot listen on ${target}: ${error.message}`));
          return;
        }
        this.boundPort = bound;
        this.logger.info({ endpoint: `${host}:${bound}` }, 'OTLP/gRPC receiver listening');
        resolve();
      });
    });
  }

  shutdown(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), 5000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private export(call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>): void {
    let decoded;
    try {
      decoded = decodeTraceRequestProtobuf(call.request);
    } catch (error) {
      const message = error instanceof OtlpDecodeError ? `cannot decode request: ${error.message}` : String(error);
      callback(serviceError(status.INVALID_ARGUMENT, message));
      return;
    }
    ingest(this.next, decoded.resourceSpans).then(
      () => callback(null, encodeExportResponse(decoded, 'protobuf') as Uint8Array),
      (error: unknown) => {
        if (error instanceof PipelineError) {
          callback(serviceError(error.retryable ? status.UNAVAILABLE : status.INVALID_ARGUMENT, error.message));
          return;
        }
        this.logger.error({ err: error }, 'pipeline failed');
        callback(serviceError(status.INTERNAL, 'internal error while processing the request'));
      },
    );
  }
}

function serviceError(code: status, details: string): Partial<ServiceError> {
  return { code, details, message: details };
}
