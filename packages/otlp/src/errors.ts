/**
 * The request body could not be decoded at all (malformed protobuf or JSON, or a field of
 * the wrong type). Receivers answer it with HTTP 400 / gRPC INVALID_ARGUMENT; the message
 * is safe to return to the client.
 */
export class OtlpDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtlpDecodeError';
  }
}
