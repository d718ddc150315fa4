import protobuf from 'protobufjs';

/** google.rpc.Status codes used in OTLP error responses. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * OTLP/HTTP error bodies are a google.rpc.Status in the request's encoding. Only `code` (1) and
 * `message` (2) are set, so it is written directly rather than loading another .proto file.
 */
export function encodeRpcStatus(code: number, message: string, format: 'protobuf' | 'json'): Uint8Array | string {
  if (format === 'json') return JSON.stringify({ code, message });
  const writer = protobuf.Writer.create();
  writer.uint32(8).int32(code);
  writer.uint32(18).string(message);
  return writer.finish();
}
