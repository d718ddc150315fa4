import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { activeContext, runInContext } from '../context/active-context.js';
import { snapshotJson } from '../snapshot/safe-json.js';
import { captureText, DEFAULT_MAX_CAPTURE_LENGTH } from '../snapshot/capture-text.js';
import {
  APP_VERSION,
  INPUT_MIME_TYPE,
  INPUT_VALUE,
  kindAttributes,
  METADATA,
  OUTPUT_MIME_TYPE,
  OUTPUT_VALUE,
  SESSION_ID,
  TAGS,
  USER_ID,
} from './observe-attributes.js';
import type { IdSource, ObserveOptions } from './observe-options.js';

/**
 * What an observed function's calls share: the options resolved once, when the function is
 * wrapped, so a call only adds what depends on its arguments.
 */
export class ObservedCallConfig {
  readonly name: string;
  readonly spanKind: SpanKind;
  readonly staticAttributes: Attributes;
  private readonly userId: IdSource<unknown[]> | undefined;
  private readonly sessionId: IdSource<unknown[]> | undefined;
  readonly captureInput: boolean;
  readonly captureOutput: boolean;
  readonly maxCaptureLength: number;
  private readonly perCall: boolean;

  constructor(options: ObserveOptions, fallbackName: string) {
    this.name = options.name ?? (fallbackName || 'anonymous');
    this.spanKind = options.spanKind ?? SpanKind.INTERNAL;
    this.captureInput = options.captureInput === true;
    this.captureOutput = options.captureOutput === true;
    this.maxCaptureLength = options.maxCaptureLength ?? DEFAULT_MAX_CAPTURE_LENGTH;
    this.userId = options.userId as IdSource<unknown[]> | undefined;
    this.sessionId = options.sessionId as IdSource<unknown[]> | undefined;
    const attributes: Attributes = { ...options.attributes };
    kindAttributes(options.kind ?? 'FUNCTION', this.name, attributes);
    if (options.tags !== undefined && options.tags.length > 0) attributes[TAGS] = [...options.tags];
    if (options.metadata !== undefined) attributes[METADATA] = snapshotJson(options.metadata);
    if (options.version !== undefined) attributes[APP_VERSION] = options.version;
    if (typeof this.userId === 'string') attributes[USER_ID] = this.userId;
    if (typeof this.sessionId === 'string') attributes[SESSION_ID] = this.sessionId;
    this.staticAttributes = attributes;
    this.perCall = typeof this.userId === 'function' || typeof this.sessionId === 'function';
  }

  attributesFor(args: unknown[] | undefined): Attributes {
    if (!this.perCall || args === undefined) return this.staticAttributes;
    const attributes: Attributes = { ...this.staticAttributes };
    const userId = resolveId(this.userId, args);
    if (userId !== undefined) attributes[USER_ID] = userId;
    const sessionId = resolveId(this.sessionId, args);
    if (sessionId !== undefined) attributes[SESSION_ID] = sessionId;
    return attributes;
  }

  /** A single argument is recorded as itself, several as an array. */
  recordInput(span: Span, args: unknown[] | undefined): void {
    if (!this.captureInput || args === undefined || !span.isRecording()) return;
    const captured = captureText(args.length === 1 ? args[0] : args, this.maxCaptureLength);
    span.setAttribute(INPUT_VALUE, captured.text);
    span.setAttribute(INPUT_MIME_TYPE, captured.mimeType);
  }
}

function resolveId(source: IdSource<unknown[]> | undefined, args: unknown[]): string | undefined {
  if (typeof source !== 'function') return undefined;
  try {
    const id = source(...args);
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `body` in a span of its own, made active so that spans and decisions inside become its
 * children. Sync results end the span at once; promises when they settle; generators (sync or
 * async) when iteration finishes, fails or is stopped, with the last item yielded as output.
 * Exceptions are recorded on the span (status ERROR) and rethrown unchanged.
 */
export function runObserved<T>(tracer: Tracer, config: ObservedCallConfig, args: unknown[] | undefined, body: (span: Span) => T): T {
  const parentContext = activeContext();
  const span = tracer.startSpan(config.name, { kind: config.spanKind, attributes: config.attributesFor(args) }, parentContext);
  config.recordInput(span, args);
  const ctx = trace.setSpan(parentContext, span);
  let result: T;
  try {
    result = runInContext(ctx, () => body(span));
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (isThenable(result)) {
    return result.then(
      (value) => {
        succeed(span, config, value);
        span.end();
        return value;
      },
      (error: unknown) => {
        fail(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  if (isAsyncGenerator(result)) return observeAsyncGenerator(result, span, ctx, config) as T;
  if (isGenerator(result)) return observeGenerator(result, span, ctx, config) as T;
  succeed(span, config, result);
  span.end();
  return result;
}

async function* observeAsyncGenerator(
  inner: AsyncGenerator<unknown, unknown, unknown>,
  span: Span,
  ctx: Context,
  config: ObservedCallConfig,
): AsyncGenerator<unknown, unknown, unknown> {
  let last: unknown;
  let settled = false;
  let resume: { throw: boolean; value: unknown } = { throw: false, value: undefined };
  try {
    for (;;) {
      const sent = resume;
      const step = await runInContext(ctx, () => (sent.throw ? inner.throw(sent.value) : inner.next(sent.value)));
      if (step.done) {
        settled = true;
        succeed(span, config, last);
        return step.value;
      }
      last = step.value;
      try {
        resume = { throw: false, value: yield step.value };
      } catch (error) {
        // The consumer threw into us: pass it on to the wrapped generator, which may handle it.
        resume = { throw: true, value: error };
      }
    }
  } catch (error) {
    settled = true;
    fail(span, error);
    throw error;
  } finally {
    if (!settled) {
      // The consumer stopped early (break, return()): close the wrapped generator too.
      try {
        await runInContext(ctx, () => inner.return(undefined));
        succeed(span, config, last);
      } catch (error) {
        fail(span, error);
      }
    }
    span.end();
  }
}

function* observeGenerator(
  inner: Generator<unknown, unknown, unknown>,
  span: Span,
  ctx: Context,
  config: ObservedCallConfig,
): Generator<unknown, unknown, unknown> {
  let last: unknown;
  let settled = false;
  let resume: { throw: boolean; value: unknown } = { throw: false, value: undefined };
  try {
    for (;;) {
      const sent = resume;
      const step = runInContext(ctx, () => (sent.throw ? inner.throw(sent.value) : inner.next(sent.value)));
      if (step.done) {
        settled = true;
        succeed(span, config, last);
        return step.value;
      }
      last = step.value;
      try {
        resume = { throw: false, value: yield step.value };
      } catch (error) {
        resume = { throw: true, value: error };
      }
    }
  } catch (error) {
    settled = true;
    fail(span, error);
    throw error;
  } finally {
    if (!settled) {
      try {
        runInContext(ctx, () => inner.return(undefined));
        succeed(span, config, last);
      } catch (error) {
        fail(span, error);
      }
    }
    span.end();
  }
}

function succeed(span: Span, config: ObservedCallConfig, output: unknown): void {
  if (!config.captureOutput || !span.isRecording()) return;
  const captured = captureText(output, config.maxCaptureLength);
  span.setAttribute(OUTPUT_VALUE, captured.text);
  span.setAttribute(OUTPUT_MIME_TYPE, captured.mimeType);
}

function fail(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown, unknown, unknown> {
  return Object.prototype.toString.call(value) === '[object AsyncGenerator]';
}

function isGenerator(value: unknown): value is Generator<unknown, unknown, unknown> {
  return Object.prototype.toString.call(value) === '[object Generator]';
}
