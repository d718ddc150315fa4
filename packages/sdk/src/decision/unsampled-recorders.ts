import type { Span } from '@decision-trace/model';

/**
 * Receives decisions whose span was not recorded (the head sampler dropped the trace, or no
 * tracing SDK is installed): the decision API builds the span's data itself and hands it here,
 * so the decision is kept although the trace is not. `DecisionSpanProcessor` is one.
 */
export interface UnsampledDecisionRecorder {
  /** Must not throw and must not wait. */
  recordUnsampledDecision(span: Span): void;
}

// On globalThis under a registered symbol, so two copies of this package in one application
// (a dependency bundling its own) still share one registry.
const REGISTRY_KEY = Symbol.for('@decision-trace/sdk.unsampled-decision-recorders');

type RegistryHolder = { [REGISTRY_KEY]?: Set<UnsampledDecisionRecorder> };

function registry(): Set<UnsampledDecisionRecorder> {
  const holder = globalThis as RegistryHolder;
  return (holder[REGISTRY_KEY] ??= new Set());
}

export function registerUnsampledDecisionRecorder(recorder: UnsampledDecisionRecorder): void {
  registry().add(recorder);
}

export function unregisterUnsampledDecisionRecorder(recorder: UnsampledDecisionRecorder): void {
  registry().delete(recorder);
}

/** The recorders registered now (normally the one processor of the application's tracer provider). */
export function registeredUnsampledDecisionRecorders(): ReadonlySet<UnsampledDecisionRecorder> {
  return registry();
}
