import { AsyncLocalStorage } from 'node:async_hooks';
import { context, createContextKey, type Context } from '@opentelemetry/api';

/**
 * The context decisions and observed functions run in. Normally this is the OpenTelemetry
 * context (NodeSDK installs an AsyncLocalStorage-based context manager), so decisions nest in
 * whatever spans the application's instrumentations create and vice versa. Without a context
 * manager, the OTel API's `context.with` keeps nothing; then a context of our own, on
 * AsyncLocalStorage, still carries the current decision across `await` and `Promise.all`, so
 * nested decisions find their parent either way.
 */
const fallbackStorage = new AsyncLocalStorage<Context>();

export function activeContext(): Context {
  return fallbackStorage.getStore() ?? context.active();
}

export function runInContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, () => (context.active() === ctx ? fn() : fallbackStorage.run(ctx, fn)));
}

/** The decision (a `DecisionScope`) a context is inside of. */
export const CURRENT_DECISION_KEY = createContextKey('@decision-trace/sdk.current-decision');
