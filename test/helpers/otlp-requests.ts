import { randomBytes } from 'node:crypto';
import { credentials as grpcCredentials, makeGenericClientConstructor, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { Attributes, ResourceSpans, Span } from '@decision-trace/model';
import { makeResourceSpans, makeSpan } from '@decision-trace/model/testing';
import { encodeTraceRequestJson, encodeTraceRequestProtobuf } from '@decision-trace/otlp';

export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A span carrying one decision (input A: `decision.*` attributes). */
export function decisionSpan(options: { traceId?: string; spanId?: string; decisionId?: string; tenant?: string; attributes?: Attributes } = {}): Span {
  const start = BigInt(Date.now()) * 1_000_000n;
  return makeSpan({
    ...(options.traceId !== undefined ? { traceId: options.traceId } : {}),
    ...(options.spanId !== undefined ? { spanId: options.spanId } : {}),
    name: 'refund.decide',
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_000_000n,
    attributes: {
      'decision.type': 'refund.approve.v2',
      'decision.outcome': 'approved',
      ...(options.decisionId ? { 'decision.id': options.decisionId } : {}),
      ...(options.tenant ? { 'decision.tenant_id': options.tenant } : {}),
      ...options.attributes,
    },
  });
}

export function resourceSpansOf(spans: Span[], serviceName = 'receiver-test'): ResourceSpans[] {
  return [makeResourceSpans(spans, { resourceAttributes: { 'service.name': serviceName }, scope: 'receiver-test', scopeVersion: '1.0.0' })];
}

export function protobufBody(spans: Span[]): Buffer {
  return Buffer.from(encodeTraceRequestProtobuf(resourceSpansOf(spans)));
}

export function jsonBody(spans: Span[]): string {
  return encodeTraceRequestJson(resourceSpansOf(spans));
}

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const identity = (b: Buffer) => b;
const TraceServiceClient = makeGenericClientConstructor(
  {
    Export: {
      path: EXPORT_PATH,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'TraceService',
);

export interface GrpcAnswer {
  error?: ServiceError;
  response?: Buffer;
}

/** A bare gRPC client sending raw bytes, to send what SDK exporters never would. */
export class RawTraceServiceClient {
  private readonly client: InstanceType<typeof TraceServiceClient>;

  constructor(target: string, options: { credentials?: ChannelCredentials; gzip?: boolean; maxSendMiB?: number } = {}) {
    this.client = new TraceServiceClient(target, options.credentials ?? grpcCredentials.createInsecure(), {
      ...(options.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
      'grpc.max_send_message_length': (options.maxSendMiB ?? 64) * 1024 * 1024,
    });
  }

  export(body: Buffer, headers: Record<string, string> = {}): Promise<GrpcAnswer> {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    return new Promise((resolve) => {
      (this.client as unknown as { Export: (b: Buffer, m: Metadata, o: object, cb: (e: ServiceError | null, r?: Buffer) => void) => void }).Export(
        body,
        metadata,
        { deadline: Date.now() + 20_000 },
        (error, response) => resolve(error ? { error } : { response }),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

export interface DecodedStatus {
  code: number;
  message: string;
  /** From a google.rpc.RetryInfo detail, if there is one. */
  retryDelaySeconds?: number;
  detailTypes: string[];
}

/** Reads a binary google.rpc.Status field by field (independently of the receiver's encoder). */
export function decodeRpcStatus(bytes: Uint8Array): DecodedStatus {
  const out: DecodedStatus = { code: 0, message: '', detailTypes: [] };
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag === 8) out.code = reader.int32();
    else if (tag === 18) out.message = reader.string();
    else if (tag === 26) {
      const any = protobuf.Reader.create(reader.bytes());
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array();
      while (any.pos < any.len) {
        const anyTag = any.uint32();
        if (anyTag === 10) typeUrl = any.string();
        else if (anyTag === 18) value = any.bytes();
        else any.skipType(anyTag & 7);
      }
      out.detailTypes.push(typeUrl);
      if (typeUrl === 'type.googleapis.com/google.rpc.RetryInfo') out.retryDelaySeconds = readRetryDelay(value);
    } else reader.skipType(tag & 7);
  }
  return out;
}

function readRetryDelay(retryInfo: Uint8Array): number {
  const reader = protobuf.Reader.create(retryInfo);
  let seconds = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag !== 10) {
      reader.skipType(tag & 7);
      continue;
    }
    const duration = protobuf.Reader.create(reader.bytes());
    while (duration.pos < duration.len) {
      const durationTag = duration.uint32();
      if (durationTag === 8) seconds += Number(duration.int64());
      else if (durationTag === 16) seconds += duration.int32() / 1e9;
      else duration.skipType(durationTag & 7);
    }
  }
  return seconds;
}

/** ExportTraceServiceResponse.partial_success from a binary answer. */
export function decodePartialSuccess(bytes: Uint8Array): { rejectedSpans: number; errorMessage: string } | undefined {
  const reader = protobuf.Reader.create(bytes);
  let result: { rejectedSpans: number; errorMessage: string } | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag !== 10) {
      reader.skipType(tag & 7);
      continue;
    }
    result = { rejectedSpans: 0, errorMessage: '' };
    const partial = protobuf.Reader.create(reader.bytes());
    while (partial.pos < partial.len) {
      const t = partial.uint32();
      if (t === 8) result.rejectedSpans = Number(partial.int64());
      else if (t === 18) result.errorMessage = partial.string();
      else partial.skipType(t & 7);
    }
  }
  return result;
}
