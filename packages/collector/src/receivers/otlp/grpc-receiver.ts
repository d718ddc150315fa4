import { Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { encodeExportResponse, OtlpDecodeError, type DecodedTraceRequest } from '@decision-trace/otlp';
import type { MutatingTracesConsumer } from '../../component/component.js';
import { ADMISSION_RETRY_AFTER_SECONDS, admissionRefusalMessage, type RequestAdmission } from './admission.js';
import type { BearerTokenAuthenticator } from './bearer-auth.js';
import type { OtlpGrpcConfig } from './config.js';
import { ingest } from './ingest.js';
import { refusalOf } from './refusal.js';
import { encodeRpcStatus } from './rpc-status.js';
import { decodeProtobufInSlices, type ProtobufDecoding } from './sliced-decode.js';
import { StartError } from '../../component/start-error.js';
import { cannotListen } from '../../http/listen.js';
import { readTlsFiles } from './tls-files.js';
import { raiseReceiveWindows, receiveWindowFor } from './grpc-receive-window.js';

const MiB = 1024 * 1024;
const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface GrpcReceiverOptions {
  /** YAML path of this protocol's settings, for start-up errors (`receivers.otlp.protocols.grpc`). */
  configPath: string;
  auth?: BearerTokenAuthenticator;
  admission: RequestAdmission;
  /** How much of a request the pipelines behind need decoded. */
  decoding: ProtobufDecoding;
}

/**
 * OTLP/gRPC TraceService/Export. Messages pass through as raw bytes and are decoded by the same
 * protobuf decoder as OTLP/HTTP, so both protocols produce identical pipeline data. grpc-js
 * itself decompresses gzip/deflate messages and refuses ones over `max_recv_msg_size_mib`
 * (before or after decompression) with RESOURCE_EXHAUSTED.
 */
export class OtlpGrpcReceiver {
  private readonly server: Server;
  private boundPort = 0;

  constructor(
    private readonly config: OtlpGrpcConfig,
    private readonly next: MutatingTracesConsumer,
    private readonly logger: Logger,
    private readonly options: GrpcReceiverOptions,
  ) {
    this.server = new Server({
      'grpc.max_receive_message_length': Math.floor(config.max_recv_msg_size_mib * MiB),
      'grpc.max_concurrent_streams': config.max_concurrent_streams,
      'grpc.max_connection_idle_ms': config.max_connection_idle,
    });
    this.server.addService(
      {
        Export: {
          path: EXPORT_PATH,
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

  async start(): Promise<void> {
    const { host, port } = this.config.endpoint;
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const credentials = await this.credentials();
    await new Promise<void>((resolve, reject) => {
      this.server.bindAsync(target, credentials, (error, bound) => {
        if (error) {
          reject(new StartError(`${this.options.configPath}.endpoint`, cannotListen(`${host}:${port}`, error), { cause: error }));
          return;
        }
        this.boundPort = bound;
        if (!raiseReceiveWindows(this.server, receiveWindowFor(this.config.max_recv_msg_size_mib * MiB))) {
          this.logger.warn('OTLP/gRPC receiver: cannot raise the HTTP/2 receive windows (grpc-js internals changed); they stay at 64 KiB');
        }
        this.logger.info({ endpoint: `${host}:${bound}`, tls: this.config.tls !== undefined }, 'OTLP/gRPC receiver listening');
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

  private async credentials(): Promise<ServerCredentials> {
    const tls = this.config.tls;
    if (!tls) return ServerCredentials.createInsecure();
    const path = `${this.options.configPath}.tls`;
    const material = await readTlsFiles(tls, path);
    try {
      return ServerCredentials.createSsl(
        material.clientCa ?? null,
        [{ cert_chain: material.cert, private_key: material.key }],
        material.clientCa !== undefined,
      );
    } catch (error) {
      throw new Error(`${path}: cannot serve TLS: ${(error as Error).message}`);
    }
  }

  private export(call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>): void {
    let tenant: string | undefined;
    if (this.options.auth) {
      const [authorization] = call.metadata.get('authorization');
      const outcome = this.options.auth.authenticate(typeof authorization === 'string' ? authorization : undefined);
      if (!outcome.ok) {
        callback(serviceError(status.UNAUTHENTICATED, outcome.message));
        return;
      }
      tenant = outcome.tenant;
    }
    const admission = this.options.admission;
    const held = call.request.length;
    if (!admission.tryAcquire(held)) {
      callback(serviceError(status.UNAVAILABLE, admissionRefusalMessage(admission.limitBytes), ADMISSION_RETRY_AFTER_SECONDS));
      return;
    }
    this.decodeAndIngest(call.request, tenant).then(
      (response) => {
        admission.release(held);
        callback(null, response);
      },
      (error: unknown) => {
        admission.release(held);
        if (isServiceError(error)) return callback(error);
        this.logger.error({ err: error }, 'unexpected error answering an OTLP/gRPC request');
        callback(serviceError(status.INTERNAL, 'internal error while processing the request'));
      },
    );
  }

  private async decodeAndIngest(body: Buffer, tenant: string | undefined): Promise<Uint8Array> {
    let decoded: DecodedTraceRequest;
    try {
      decoded = await decodeProtobufInSlices(body, this.options.decoding);
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw serviceError(status.INVALID_ARGUMENT, `cannot decode request: ${error.message}`);
      this.logger.error({ err: error }, 'unexpected error decoding an OTLP/gRPC request');
      throw serviceError(status.INTERNAL, 'internal error while decoding the request');
    }
    try {
      await ingest(this.next, decoded, tenant);
    } catch (error) {
      const refusal = refusalOf(error, this.logger);
      throw serviceError(refusal.rpcCode, refusal.message, refusal.retryAfterSeconds);
    }
    return encodeExportResponse(decoded, 'protobuf');
  }
}

/**
 * A gRPC error status. With `retryAfterSeconds` the trailers carry the full google.rpc.Status
 * with a RetryInfo detail (`grpc-status-details-bin`), which OTLP clients use as the delay
 * before their retry.
 */
function serviceError(code: number, details: string, retryAfterSeconds?: number): ServiceError {
  const metadata = new Metadata();
  if (retryAfterSeconds !== undefined) {
    const statusProto = encodeRpcStatus(code, details, 'protobuf', retryAfterSeconds);
    metadata.set('grpc-status-details-bin', Buffer.from(statusProto.buffer, statusProto.byteOffset, statusProto.byteLength));
  }
  return Object.assign(new Error(details), { code, details, metadata });
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number' && (error as Partial<ServiceError>).metadata instanceof Metadata;
}
