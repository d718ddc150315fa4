import type { ReadonlyDecisionEvent } from '../event.js';
import type { ReadonlyResourceSpans } from '../readonly-otlp-types.js';
import { compileRedactionSettings } from './compile.js';
import { EventRedactor } from './event-redactor.js';
import type { RedactionSettings } from './settings.js';
import { SpanRedactor } from './span-redactor.js';
import { ValueRedactor } from './value-redactor.js';

/**
 * One compiled set of redaction settings, applied to trace data and to decision events. Never
 * modifies its inputs; returns them unchanged (the same objects) when nothing applies.
 */
export interface Redactor {
  redactResourceSpans(resourceSpans: readonly ReadonlyResourceSpans[]): readonly ReadonlyResourceSpans[];
  /** Of the event's own type: a mutable event comes out mutable, a shared one read-only. */
  redactDecisionEvent<E extends ReadonlyDecisionEvent>(event: E): E;
}

/** Throws RedactionSettingsError (every problem with its settings path) when the settings are invalid. */
export function createRedactor(settings: RedactionSettings): Redactor {
  const values = new ValueRedactor(compileRedactionSettings(settings));
  const spans = new SpanRedactor(values);
  const events = new EventRedactor(values);
  return {
    redactResourceSpans: (resourceSpans) => spans.redactResourceSpans(resourceSpans),
    redactDecisionEvent: (event) => events.redact(event),
  };
}
