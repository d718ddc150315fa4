import { context, createContextKey, type Context } from '@opentelemetry/api';

/**
 * The context key `@opentelemetry/core`'s `suppressTracing` sets (keys are `Symbol.for` their
 * description, so this is the same key without depending on core). Instrumentations create no
 * spans under it: delivering decisions must not produce telemetry of its own, for instance
 * HTTP client spans for every batch a sink posts.
 */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export function withTracingSuppressed<T>(fn: () => T): T {
  const suppressed: Context = context.active().setValue(SUPPRESS_TRACING_KEY, true);
  return context.with(suppressed, fn);
}
