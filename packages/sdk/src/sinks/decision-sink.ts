import type { DecisionEvent } from '@decision-trace/model';

/**
 * Where decision events go: the embedded store, a Decision Trace backend, a test buffer.
 * Sinks are called from the background delivery loop only, one batch at a time; they never
 * run on the path of user code, and whatever they do (throw, reject, hang) stays there.
 */
export interface DecisionSink {
  /**
   * Delivers one batch. Resolves when the destination has it; rejects with a
   * `DecisionSinkError` to say whether trying again may help (any other rejection counts as
   * retryable). `signal` aborts when the attempt has taken too long or the sink is shut down.
   */
  export(events: readonly DecisionEvent[], options: SinkExportOptions): Promise<void>;
  /** Releases connections or handles; called once, after the last export. */
  shutdown?(): Promise<void>;
}

export interface SinkExportOptions {
  signal: AbortSignal;
}

export class DecisionSinkError extends Error {
  override readonly name = 'DecisionSinkError';
  readonly retryable: boolean;
  /** The destination's own wait hint (an HTTP Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { retryable: boolean; retryAfterMs?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}
