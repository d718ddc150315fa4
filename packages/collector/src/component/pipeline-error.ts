/**
 * An error a consumer raises to tell the receiver how to answer: `retryable` failures (a store
 * that is busy, a full queue) become 503/UNAVAILABLE with Retry-After so clients retry;
 * `throttled` ones (the sender is over a rate limit) 429/RESOURCE_EXHAUSTED, also with
 * Retry-After; the rest are permanent (400) and retrying would not help.
 */
export class PipelineError extends Error {
  readonly retryable: boolean;
  readonly throttled: boolean;
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { retryable: boolean; throttled?: boolean; retryAfterSeconds?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'PipelineError';
    this.retryable = options.retryable || options.throttled === true;
    this.throttled = options.throttled === true;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}
