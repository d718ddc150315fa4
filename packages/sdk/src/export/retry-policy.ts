/**
 * How long to wait before trying a failed batch again: exponential backoff with ±20% jitter (so
 * many processes that failed together do not retry together), or the destination's own
 * Retry-After when it gave one, capped so a far-off hint cannot stall delivery for hours.
 */
export interface RetryPolicy {
  /** Attempts per batch, the first one included. */
  maxAttempts: number;
  initialBackoffMillis: number;
  maxBackoffMillis: number;
  backoffMultiplier: number;
  /** Upper bound for a destination's Retry-After. */
  maxRetryAfterMillis: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 5,
  initialBackoffMillis: 500,
  maxBackoffMillis: 15_000,
  backoffMultiplier: 2,
  maxRetryAfterMillis: 60_000,
});

/** `failedAttempts` counts from 1; `random` is in [0, 1). */
export function retryDelayMillis(failedAttempts: number, policy: RetryPolicy, retryAfterMillis: number | undefined, random: number = Math.random()): number {
  if (retryAfterMillis !== undefined && Number.isFinite(retryAfterMillis) && retryAfterMillis >= 0) {
    return Math.min(retryAfterMillis, policy.maxRetryAfterMillis);
  }
  const exponential = policy.initialBackoffMillis * policy.backoffMultiplier ** (failedAttempts - 1);
  const base = Math.min(policy.maxBackoffMillis, exponential);
  return Math.round(base * (0.8 + 0.4 * random));
}
