import protobuf from 'protobufjs';

/** google.rpc.Code values used in OTLP error answers. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type RpcCodeValue = (typeof RpcCode)[keyof typeof RpcCode];

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A google.rpc.Status: the body of OTLP/HTTP error answers (in the request's encoding) and the
 * `grpc-status-details-bin` trailer of gRPC ones. `retryAfterSeconds` adds a google.rpc.RetryInfo
 * detail, which is how OTLP/gRPC tells a client how long to wait before retrying. The few
 * fields are written directly rather than loading the googleapis .proto files.
 */
export function encodeRpcStatus(code: number, message: string, format: 'json', retryAfterSeconds?: number): string;
export function encodeRpcStatus(code: number, message: string, format: 'protobuf', retryAfterSeconds?: number): Uint8Array;
export function encodeRpcStatus(code: number, message: string, format: 'protobuf' | 'json', retryAfterSeconds?: number): Uint8Array | string;
export function encodeRpcStatus(code: number, message: string, format: 'protobuf' | 'json', retryAfterSeconds?: number): Uint8Array | string {
  if (format === 'json') {
    if (retryAfterSeconds === undefined) return JSON.stringify({ code, message });
    return JSON.stringify({ code, message, details: [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${retryAfterSeconds}s` }] });
  }
  const writer = protobuf.Writer.create();
  writer.uint32(8).int32(code);
  writer.uint32(18).string(message);
  if (retryAfterSeconds !== undefined) {
    // details (3): Any { type_url (1), value (2): RetryInfo { retry_delay (1): Duration { seconds (1) } } }
    writer.uint32(26).fork();
    writer.uint32(10).string(RETRY_INFO_TYPE_URL);
    writer.uint32(18).fork();
    writer.uint32(10).fork();
    writer.uint32(8).int64(Math.max(0, Math.ceil(retryAfterSeconds)));
    writer.ldelim();
    writer.ldelim();
    writer.ldelim();
  }
  return writer.finish();
}
