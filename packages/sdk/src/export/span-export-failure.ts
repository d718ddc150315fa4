/**
 * Whether a span exporter's failed export may succeed when sent again. OpenTelemetry JS
 * exporters report failures as `{ code: FAILED, error }`, where the OTLP exporters' error
 * carries the HTTP status or the gRPC status code in `error.code` (HTTP ≥ 100, gRPC 0–16, so the
 * two never clash). The OTLP specification allows retrying HTTP 429, 502, 503, 504 and gRPC
 * CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS; every other
 * status is permanent (the data was refused and would be refused again). Failures without a
 * numeric status — network errors, timeouts, an exporter's own retries running out — are
 * retryable.
 */
const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const RETRYABLE_GRPC_CODES: ReadonlySet<number> = new Set([1, 4, 10, 11, 14, 15]);
const MAX_GRPC_CODE = 16;

export function isRetryableSpanExportFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number' || !Number.isInteger(code)) return true;
  if (code >= 100) return RETRYABLE_HTTP_STATUSES.has(code);
  if (code >= 0 && code <= MAX_GRPC_CODE) return RETRYABLE_GRPC_CODES.has(code);
  return true;
}

/** A failed span export as the dual exporter's delivery loop sees it. */
export class SpanExportError extends Error {
  override readonly name = 'SpanExportError';
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
  }
}
