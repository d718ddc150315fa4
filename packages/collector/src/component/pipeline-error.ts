/**
 * An error a consumer raises to tell the receiver how to answer: `retryable` failures (a store
 * that is busy, a full queue) become 503/UNAVAILABLE with Retry-After so clients retry;
 * the rest are permanent (400) and retrying would not help.
 */
export class PipelineError extends Error {
  readonly retryable: boolean;
  readonly retryAfterSeconds: number;

  constructor(message: string, options: { retryable: boolean; retryAfterSeconds?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'PipelineError';
    this.retryable = options.retryable;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1;
  }
}
