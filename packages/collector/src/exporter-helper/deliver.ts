import { RetrySchedule } from './backoff.js';
import type { RetryConfig } from './config.js';
import { isPermanent, throttleOf } from './export-error.js';
import type { RequestSender, SendOutcome } from './export-request.js';

/** Time as the retry loop sees it; tests replace it to run backoff without waiting. */
export interface DeliveryClock {
  now(): number;
  /** Resolves true after `ms`, or false as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<boolean>;
}

export const realClock: DeliveryClock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};

export type DeliveryResult =
  | { status: 'sent'; outcome: SendOutcome | void; attempts: number }
  | { status: 'failed'; error: unknown; permanent: boolean; attempts: number }
  /** Shutdown interrupted the delivery: the request is neither sent nor given up. */
  | { status: 'aborted'; attempts: number };

export interface DeliveryOptions {
  sender: RequestSender;
  retry: RetryConfig;
  /** Per attempt. */
  timeoutMs: number;
  /** Aborts on shutdown. */
  signal: AbortSignal;
  clock?: DeliveryClock;
  random?: () => number;
  /** After each failed attempt; `retryInMs` is undefined when no attempt follows. */
  onAttemptFailed?(error: unknown, attempt: number, retryInMs: number | undefined): void;
}

/** Sends one request, retrying retryable failures on the backoff schedule. */
export async function deliverWithRetry(body: Uint8Array, options: DeliveryOptions): Promise<DeliveryResult> {
  const clock = options.clock ?? realClock;
  const schedule = new RetrySchedule(options.retry, clock.now(), options.random);
  for (let attempt = 1; ; attempt++) {
    if (options.signal.aborted) return { status: 'aborted', attempts: attempt - 1 };
    let error: unknown;
    // One signal per attempt, aborted by its timeout or by shutdown. A timer of our own
    // (AbortSignal.timeout's is unref'd): a stuck attempt must still end. Linked by a listener,
    // not AbortSignal.any, whose composite signal costs several times as much per attempt.
    const attemptAbort = new AbortController();
    const timer = setTimeout(() => attemptAbort.abort(new Error(`export attempt timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    const onStop = () => attemptAbort.abort(options.signal.reason);
    options.signal.addEventListener('abort', onStop, { once: true });
    try {
      return { status: 'sent', outcome: await options.sender.send(body, attemptAbort.signal), attempts: attempt };
    } catch (caught) {
      error = caught;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onStop);
    }
    if (options.signal.aborted) return { status: 'aborted', attempts: attempt };
    if (isPermanent(error)) {
      options.onAttemptFailed?.(error, attempt, undefined);
      return { status: 'failed', error, permanent: true, attempts: attempt };
    }
    const wait = schedule.next(clock.now(), throttleOf(error));
    options.onAttemptFailed?.(error, attempt, wait);
    if (wait === undefined) return { status: 'failed', error, permanent: false, attempts: attempt };
    if (!(await clock.sleep(wait, options.signal))) return { status: 'aborted', attempts: attempt };
  }
}
