import protobuf from 'protobufjs';

/**
 * The few OTLP response messages an exporter reads, decoded field by field with the protobuf
 * reader (no .proto loading): google.rpc.Status (error bodies and gRPC status details),
 * google.rpc.RetryInfo, and the partial success of ExportTraceServiceResponse.
 */
export interface RpcStatus {
  code: number;
  message: string;
  details: Array<{ typeUrl: string; value: Uint8Array }>;
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

export function decodeRpcStatus(bytes: Uint8Array): RpcStatus | undefined {
  try {
    const reader = protobuf.Reader.create(bytes);
    const status: RpcStatus = { code: 0, message: '', details: [] };
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      switch (tag >>> 3) {
        case 1:
          status.code = reader.int32();
          break;
        case 2:
          status.message = reader.string();
          break;
        case 3:
          status.details.push(decodeAny(reader.bytes()));
          break;
        default:
          reader.skipType(tag & 7);
      }
    }
    return status;
  } catch {
    return undefined;
  }
}

function decodeAny(bytes: Uint8Array): { typeUrl: string; value: Uint8Array } {
  const reader = protobuf.Reader.create(bytes);
  const any: { typeUrl: string; value: Uint8Array } = { typeUrl: '', value: new Uint8Array() };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) any.typeUrl = reader.string();
    else if (tag >>> 3 === 2) any.value = reader.bytes();
    else reader.skipType(tag & 7);
  }
  return any;
}

/** The server's requested wait (RetryInfo.retry_delay) in milliseconds, if a detail carries one. */
export function retryDelayOf(status: RpcStatus | undefined): number | undefined {
  const detail = status?.details.find((d) => d.typeUrl === RETRY_INFO_TYPE);
  if (!detail) return undefined;
  try {
    const reader = protobuf.Reader.create(detail.value);
    let delay = 0;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 !== 1) {
        reader.skipType(tag & 7);
        continue;
      }
      const duration = protobuf.Reader.create(reader.bytes());
      while (duration.pos < duration.len) {
        const inner = duration.uint32();
        if (inner >>> 3 === 1) delay += Number(duration.int64()) * 1000;
        else if (inner >>> 3 === 2) delay += duration.int32() / 1e6;
        else duration.skipType(inner & 7);
      }
    }
    return delay;
  } catch {
    return undefined;
  }
}

export interface PartialSuccess {
  rejected: number;
  message: string;
}

/** ExportTraceServiceResponse.partial_success, from a protobuf or JSON response body. */
export function decodePartialSuccess(body: Uint8Array, format: 'protobuf' | 'json'): PartialSuccess | undefined {
  if (body.byteLength === 0) return undefined;
  try {
    if (format === 'json') {
      const parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as {
        partialSuccess?: { rejectedSpans?: string | number; rejectedDataPoints?: string | number; errorMessage?: string };
        partial_success?: { rejected_spans?: string | number; rejected_data_points?: string | number; error_message?: string };
      };
      // The metrics service's response names the same field rejected_data_points.
      const partial = parsed.partialSuccess ?? {
        rejectedSpans: parsed.partial_success?.rejected_spans,
        rejectedDataPoints: parsed.partial_success?.rejected_data_points,
        errorMessage: parsed.partial_success?.error_message,
      };
      const rejected = Number(partial.rejectedSpans ?? partial.rejectedDataPoints ?? 0);
      const message = partial.errorMessage ?? '';
      return rejected > 0 || message !== '' ? { rejected: Number.isFinite(rejected) ? rejected : 0, message } : undefined;
    }
    const reader = protobuf.Reader.create(body);
    let result: PartialSuccess | undefined;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 !== 1) {
        reader.skipType(tag & 7);
        continue;
      }
      const partial = protobuf.Reader.create(reader.bytes());
      result = { rejected: 0, message: '' };
      while (partial.pos < partial.len) {
        const inner = partial.uint32();
        if (inner >>> 3 === 1) result.rejected = Number(partial.int64());
        else if (inner >>> 3 === 2) result.message = partial.string();
        else partial.skipType(inner & 7);
      }
    }
    return result && (result.rejected > 0 || result.message !== '') ? result : undefined;
  } catch {
    return undefined;
  }
}
