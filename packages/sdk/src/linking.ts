import { trace, type Span } from '@opentelemetry/api';
import { activeContext, CURRENT_DECISION_KEY } from './context/active-context.js';
import {
  DECISION_ENVIRONMENT,
  DECISION_ID,
  DECISION_OUTCOME,
  DECISION_PARENT_ID,
  DECISION_SPAN_EVENT,
  DECISION_TENANT_ID,
  DECISION_TRACE_ID,
  DECISION_TYPE,
} from './decision/decision-attributes.js';
import type { Decision } from './decision/decision-scope.js';

/**
 * Linking helpers (the Decision Trace guide's "link decisions to active traces"): pivot from a
 * request's trace or log line to the decision it made, and back.
 */

/** Puts `decision.id` and `decision.trace_id` on a span (by default the active one). */
export function linkDecisionToSpan(decision: Decision, span: Span | undefined = trace.getSpan(activeContext())): void {
  if (span === undefined) return;
  span.setAttribute(DECISION_ID, decision.id);
  span.setAttribute(DECISION_TRACE_ID, decision.traceId);
}

/**
 * Adds a `decision` span event summarising the decision (id, type, outcome, parent, tenant) to
 * a span (by default the active one): trace UIs show what was decided at a glance, and the
 * collector reads the event as one more observation of the same decision id.
 */
export function addDecisionSummaryEvent(decision: Decision, span: Span | undefined = trace.getSpan(activeContext())): void {
  if (span === undefined) return;
  const attributes: Record<string, string> = { [DECISION_ID]: decision.id, [DECISION_TYPE]: decision.type };
  if (decision.outcomeValue !== null) attributes[DECISION_OUTCOME] = decision.outcomeValue;
  if (decision.parentId !== null) attributes[DECISION_PARENT_ID] = decision.parentId;
  // Without the tenant the summary would describe the same id in the default tenant.
  if (decision.tenant !== undefined) attributes[DECISION_TENANT_ID] = decision.tenant;
  if (decision.environment !== undefined) attributes[DECISION_ENVIRONMENT] = decision.environment;
  span.addEvent(DECISION_SPAN_EVENT, attributes);
}

/** The decision the caller is inside of, if any. */
export function currentDecision(): Decision | undefined {
  return activeContext().getValue(CURRENT_DECISION_KEY) as Decision | undefined;
}

export interface DecisionLogFields {
  trace_id?: string;
  span_id?: string;
  decision_id?: string;
}

/**
 * Correlation fields for a log line: the active span's trace and span ids and the current
 * decision's id. A pino `mixin`: `pino({ mixin: decisionLogFields })`.
 */
export function decisionLogFields(): DecisionLogFields {
  const ctx = activeContext();
  const fields: DecisionLogFields = {};
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext !== undefined && trace.isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
  }
  const decision = ctx.getValue(CURRENT_DECISION_KEY) as Decision | undefined;
  if (decision !== undefined) {
    fields.decision_id = decision.id;
    // A decision without a tracing SDK still has ids of its own.
    fields.trace_id ??= decision.traceId;
    fields.span_id ??= decision.spanId;
  }
  return fields;
}
