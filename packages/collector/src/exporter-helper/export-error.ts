/**
 * How a destination refused a request. Permanent failures are dropped at once (logged and
 * counted): retrying would not help. Retryable ones are tried again, no sooner than
 * `throttleMs` when the destination said how long to wait. An error that is not an
 * ExportError (a refused connection, a timeout) is retryable.
 */
export class ExportError extends Error {
  readonly permanent: boolean;
  readonly throttleMs: number | undefined;

  private constructor(message: string, permanent: boolean, throttleMs: number | undefined, cause?: unknown) {
    super(message, { cause });
    this.name = 'ExportError';
    this.permanent = permanent;
    this.throttleMs = throttleMs;
  }

  static permanent(message: string, cause?: unknown): ExportError {
    return new ExportError(message, true, undefined, cause);
  }

  static retryable(message: string, options: { throttleMs?: number; cause?: unknown } = {}): ExportError {
    return new ExportError(message, false, options.throttleMs, options.cause);
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof ExportError && error.permanent;
}

export function throttleOf(error: unknown): number {
  return error instanceof ExportError ? (error.throttleMs ?? 0) : 0;
}
