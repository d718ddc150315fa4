import {
  ATTR_DECISION_ACTOR_ID,
  ATTR_DECISION_ACTOR_ORG,
  ATTR_DECISION_ACTOR_TYPE,
  ATTR_DECISION_ACTOR_VERSION,
  ATTR_DECISION_ALTERNATIVES,
  ATTR_DECISION_CONFIDENCE,
  ATTR_DECISION_ENVIRONMENT,
  ATTR_DECISION_EVIDENCE,
  ATTR_DECISION_EVIDENCE_PREFIX,
  ATTR_DECISION_FACTORS,
  ATTR_DECISION_ID,
  ATTR_DECISION_OUTCOME,
  ATTR_DECISION_PARENT_ID,
  ATTR_DECISION_POLICY_PREFIX,
  ATTR_DECISION_RESULT,
  ATTR_DECISION_TENANT_ID,
  ATTR_DECISION_TYPE,
  ATTR_DECISION_VERSION,
  ATTR_DT_DECISION_ID,
  DECISION_ATTRIBUTE_PREFIX,
  SPAN_EVENT_DECISION,
} from './semconv.js';
import { SCHEMA_VERSION, type Actor, type DecisionEvent } from './event.js';
import type { ReadonlyAttributes, ReadonlyResourceSpans, ReadonlySpan, ReadonlySpanEvent } from './readonly-otlp-types.js';
import type { PolicyCheck } from './record.js';
import type { RecordFlag } from './decision-notes.js';
import { nanosToRfc3339, toJsonValue, toText } from './attribute-values.js';
import { isPlainObject, normalizeAlternatives, normalizeConfidence, normalizeFactors } from './decision-values.js';
import { LineageIndex } from './lineage.js';
import { fromDtSpan } from './from-dt-spans.js';
import {
  ActorFields,
  SPAN_STATUS_ERROR,
  addSpanTimes,
  buildEvent,
  derivedSpanEventId,
  errorFromException,
  exceptionEvents,
  missingTime,
  resourceContext,
  type ResourceContext,
} from './span-event-parts.js';
import { setOwn } from './own-property.js';

export { derivedSpanEventId } from './span-event-parts.js';

/**
 * Span → decision event conversion (docs/architecture.md §2, inputs A, B and C).
 *
 * A: a span with `decision.type` is one decision (`decision.observed`, source otlp.span).
 * B: each span event named `decision` is one decision (`decision.observed`, otlp.span_event).
 * C: a span with `dt.decision_id` gives canonical events of that decision (otlp.dt_span, see
 *    from-dt-spans.ts); the other events of the decision may come on other spans or in other
 *    requests.
 * A span with both `dt.decision_id` and `decision.type` is read as C only: the explicit id and
 * event type say more than the generic keys, and one span should map to one decision.
 *
 * The redaction processor's `dt.redactions` note (see redaction/) on the resource and on the
 * attributes a decision was read from becomes the event's `redactions`.
 *
 * Everything in an event is derived from the span, never from the clock, so redelivering a
 * span yields identical events (same ids, same content) and the store can ignore the repeat.
 */
export interface ExtractDecisionEventsOptions {
  /** The authenticated tenant; overrides any tenant the spans claim. */
  tenant?: string;
  /** Spans remembered across requests, for lineage; a per-call index is used when absent. */
  lineage?: LineageIndex;
  /**
   * Whether the `dt.redactions` note of an attribute set is to be believed. Absent: every note
   * is read. The collector's decision processor passes isNoteWrittenHere, so only notes its own
   * redaction processors wrote reach a record — a note sent by a client is a claim anyone can
   * make, with raw values hidden in it.
   */
  trustRedactionNote?: (attributes: ReadonlyAttributes) => boolean;
}

/** Decision id of a span or span event that carries none: stable across redelivery. */
export function derivedDecisionId(traceId: string, spanId: string, eventIndex?: number): string {
  return eventIndex === undefined ? `${traceId}-${spanId}` : `${traceId}-${spanId}-${eventIndex}`;
}

/**
 * The decision a span itself carries (C's dt.decision_id, or A's decision.id / derived id),
 * or null. Cheap for the common non-decision span: two `in` checks.
 */
export function spanDecisionId(span: ReadonlySpan): string | null {
  const attributes = span.attributes;
  const dtDecisionId = ATTR_DT_DECISION_ID in attributes ? toText(attributes[ATTR_DT_DECISION_ID]) : null;
  if (dtDecisionId !== null) return dtDecisionId;
  if (!hasDecisionType(attributes)) return null;
  return toText(attributes[ATTR_DECISION_ID]) ?? derivedDecisionId(span.traceId, span.spanId);
}

export function extractDecisionEvents(resourceSpans: readonly ReadonlyResourceSpans[], options: ExtractDecisionEventsOptions = {}): DecisionEvent[] {
  const lineage = options.lineage ?? new LineageIndex();
  // Every span of the request goes into the index before any lineage question is asked, so a
  // child listed before its ancestors still finds them.
  for (const resource of resourceSpans) {
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        lineage.recordSpan(span.traceId, span.spanId, span.parentSpanId, spanDecisionId(span));
      }
    }
  }

  const events: DecisionEvent[] = [];
  // Where each decision was seen in its OTel trace, for lineage (a dt.* event's trace_id is
  // the SDK's trace, which the lineage index does not know).
  const seenAt: SeenAt[] = [];
  const authenticatedTenant = options.tenant ? options.tenant : null;
  for (const resource of resourceSpans) {
    let context: ResourceContext | undefined;
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        const attributes = span.attributes;
        const dtDecisionId = ATTR_DT_DECISION_ID in attributes ? toText(attributes[ATTR_DT_DECISION_ID]) : null;
        const isAttributeDecision = dtDecisionId === null && hasDecisionType(attributes);
        if (dtDecisionId === null && !isAttributeDecision && span.events.length === 0) continue;

        context ??= resourceContext(resource, authenticatedTenant, options.trustRedactionNote);
        let ownDecisionId: string | null = null;
        if (dtDecisionId !== null) {
          const dtEvents = fromDtSpan({ span, decisionId: dtDecisionId, context, lineage });
          seenAt.push({ event: dtEvents[0], traceId: span.traceId, spanId: span.spanId });
          for (const event of dtEvents) events.push(event);
          ownDecisionId = dtDecisionId;
        } else if (isAttributeDecision) {
          const event = fromDecisionSpan(span, context, lineage);
          seenAt.push({ event, traceId: span.traceId, spanId: span.spanId });
          events.push(event);
          ownDecisionId = event.decision_id;
        }
        const spanEvents = span.events;
        for (let index = 0; index < spanEvents.length; index++) {
          const spanEvent = spanEvents[index];
          if (spanEvent.name !== SPAN_EVENT_DECISION) continue;
          const event = fromDecisionSpanEvent(span, spanEvent, index, ownDecisionId, context, lineage);
          seenAt.push({ event, traceId: span.traceId, spanId: span.spanId });
          events.push(event);
        }
      }
    }
  }
  awaitMissingAncestors(seenAt, lineage);
  linkArrivedAncestors(events, lineage);
  return events;
}

/** A decision's first event and the OTel span it was read from. */
interface SeenAt {
  event: DecisionEvent;
  traceId: string;
  spanId: string;
}

/**
 * A decision without a parent whose ancestry broke at a span not seen yet waits for that span:
 * SDKs export children before their parents, and one trace's spans may be split over requests.
 */
function awaitMissingAncestors(seenAt: SeenAt[], lineage: LineageIndex): void {
  for (let i = 0; i < seenAt.length; i++) {
    const { event, traceId, spanId } = seenAt[i];
    if (event.parent_decision_id !== null) continue;
    const lookup = lineage.lookupAncestor(traceId, spanId, event.decision_id);
    if (lookup.kind !== 'missing') continue;
    lineage.awaitSpan(lookup.spanId, {
      traceId,
      decisionId: event.decision_id,
      tenantId: event.tenant_id,
      timestamp: event.timestamp,
    });
  }
}

/** Decisions stored earlier whose missing ancestor span arrived now get their parent. */
function linkArrivedAncestors(events: DecisionEvent[], lineage: LineageIndex): void {
  for (const { spanId, waiter } of lineage.takeArrived()) {
    const lookup = lineage.lookupAncestor(waiter.traceId, spanId, waiter.decisionId, true);
    if (lookup.kind === 'missing') lineage.awaitSpan(lookup.spanId, waiter);
    if (lookup.kind !== SPAN_EVENT_DECISION) continue;
    events.push({
      schema_version: SCHEMA_VERSION,
      // One parent per decision, so the id is stable and a redelivered link changes nothing.
      event_id: `lineage:${waiter.decisionId}`,
      event_type: 'decision.linked',
      decision_id: waiter.decisionId,
      decision_type: null,
      parent_decision_id: lookup.decisionId,
      trace_id: waiter.traceId,
      span_id: null,
      tenant_id: waiter.tenantId,
      environment: null,
      timestamp: waiter.timestamp,
      actor: null,
      payload: {},
      causal_links: [],
      source: 'otlp.span',
    });
  }
}

function hasDecisionType(attributes: ReadonlyAttributes): boolean {
  if (!(ATTR_DECISION_TYPE in attributes)) return false;
  const value = attributes[ATTR_DECISION_TYPE];
  return value !== null && value !== undefined && value !== '';
}

// ---- inputs A and B: `decision.*` keys on a span or on a span event ----

interface ObservedDecision {
  decisionType: string | null;
  decisionId: string | null;
  parentDecisionId: string | null;
  tenantId: string | null;
  environment: string | null;
  actor: Actor | null;
  payload: Record<string, unknown>;
  flags: RecordFlag[];
}

function readObservedDecision(attributes: ReadonlyAttributes): ObservedDecision {
  const observed: ObservedDecision = {
    decisionType: null,
    decisionId: null,
    parentDecisionId: null,
    tenantId: null,
    environment: null,
    actor: null,
    payload: {},
    flags: [],
  };
  let version: string | null = null;
  let outcome: string | null = null;
  let result: string | null = null;
  let confidence: unknown = null;
  let factors: unknown = null;
  let alternatives: unknown = null;
  let evidence: Record<string, unknown> | null = null;
  let policyChecks: PolicyCheck[] | null = null;
  const actor = new ActorFields();

  for (const key in attributes) {
    if (!key.startsWith(DECISION_ATTRIBUTE_PREFIX)) continue;
    const value = attributes[key];
    switch (key) {
      case ATTR_DECISION_TYPE:
        observed.decisionType = toText(value);
        break;
      case ATTR_DECISION_VERSION:
        version = toText(value);
        break;
      case ATTR_DECISION_OUTCOME:
        outcome = toText(value);
        break;
      case ATTR_DECISION_RESULT:
        result = toText(value);
        break;
      case ATTR_DECISION_CONFIDENCE:
        confidence = toJsonValue(value);
        break;
      case ATTR_DECISION_FACTORS:
        factors = toJsonValue(value);
        break;
      case ATTR_DECISION_ALTERNATIVES:
        alternatives = toJsonValue(value);
        break;
      case ATTR_DECISION_ID:
        observed.decisionId = toText(value);
        break;
      case ATTR_DECISION_PARENT_ID:
        observed.parentDecisionId = toText(value);
        break;
      case ATTR_DECISION_TENANT_ID:
        observed.tenantId = toText(value);
        break;
      case ATTR_DECISION_ENVIRONMENT:
        observed.environment = toText(value);
        break;
      case ATTR_DECISION_ACTOR_ID:
        actor.id = toText(value);
        break;
      case ATTR_DECISION_ACTOR_TYPE:
        actor.type = toText(value);
        break;
      case ATTR_DECISION_ACTOR_VERSION:
        actor.version = toText(value);
        break;
      case ATTR_DECISION_ACTOR_ORG:
        actor.org = toText(value);
        break;
      case ATTR_DECISION_EVIDENCE: {
        // A kvlist value carries all evidence at once.
        const entries = toJsonValue(value);
        // A spread, not Object.assign: a "__proto__" entry stays an entry.
        if (isPlainObject(entries)) evidence = { ...(evidence ?? {}), ...entries };
        break;
      }
      default:
        if (key.startsWith(ATTR_DECISION_EVIDENCE_PREFIX)) {
          const evidenceKey = key.slice(ATTR_DECISION_EVIDENCE_PREFIX.length);
          if (evidenceKey !== '') setOwn((evidence ??= {}), evidenceKey, toJsonValue(value));
        } else if (key.startsWith(ATTR_DECISION_POLICY_PREFIX)) {
          const policy = key.slice(ATTR_DECISION_POLICY_PREFIX.length);
          if (policy !== '') (policyChecks ??= []).push({ policy, result: toJsonValue(value) });
        }
    }
  }

  // Fields are written in a fixed order, whatever the attribute order, so equal input gives
  // equal JSON.
  const payload = observed.payload;
  if (version !== null) payload.version = version;
  const decidedOutcome = outcome ?? result;
  if (decidedOutcome !== null) payload.outcome = decidedOutcome;
  if (confidence !== null) payload.confidence = normalizeConfidence(confidence, observed.flags);
  if (factors !== null) payload.factors = normalizeFactors(factors, observed.flags);
  if (alternatives !== null) payload.alternatives = normalizeAlternatives(alternatives, observed.flags);
  if (evidence !== null) payload.evidence = evidence;
  if (policyChecks !== null) payload.policy_checks = policyChecks;
  observed.actor = actor.toActor();
  return observed;
}

function fromDecisionSpan(span: ReadonlySpan, context: ResourceContext, lineage: LineageIndex): DecisionEvent {
  const observed = readObservedDecision(span.attributes);
  const decisionId = observed.decisionId ?? derivedDecisionId(span.traceId, span.spanId);
  const parentDecisionId = observed.parentDecisionId ?? lineage.nearestAncestorDecision(span.traceId, span.spanId, decisionId);
  const payload = observed.payload;
  const timestamp = addSpanTimes(span, payload, observed.flags);
  if (span.status.code === SPAN_STATUS_ERROR) {
    // The OTel convention: an `exception` event says what failed (message and type).
    payload.error = errorFromException(exceptionEvents(span).at(-1), span.status.message);
  }
  // The parts written out, not spread from an object of the observed fields with the other keys
  // after them: on Node 20 that one literal cost about a fifth of the ingest pipeline's main
  // thread CPU per span (measured: decode, extraction, context spans and hand-over, ~12 -> ~9 µs).
  return buildEvent({
    decisionType: observed.decisionType,
    tenantId: observed.tenantId,
    environment: observed.environment,
    actor: observed.actor,
    payload: observed.payload,
    flags: observed.flags,
    schemaVersion: SCHEMA_VERSION,
    eventId: derivedSpanEventId(span.traceId, span.spanId),
    eventType: 'decision.observed',
    decisionId,
    parentDecisionId,
    traceId: span.traceId,
    span,
    timestamp,
    context,
    source: 'otlp.span',
    attributes: span.attributes,
  });
}

function fromDecisionSpanEvent(
  span: ReadonlySpan,
  spanEvent: ReadonlySpanEvent,
  index: number,
  spanOwnDecisionId: string | null,
  context: ResourceContext,
  lineage: LineageIndex,
): DecisionEvent {
  const observed = readObservedDecision(spanEvent.attributes);
  const decisionId = observed.decisionId ?? derivedDecisionId(span.traceId, span.spanId, index);
  const enclosingDecisionId = spanOwnDecisionId !== decisionId ? spanOwnDecisionId : null;
  const parentDecisionId = observed.parentDecisionId ?? enclosingDecisionId ?? lineage.nearestAncestorDecision(span.traceId, span.spanId, decisionId);
  const timestamp =
    nanosToRfc3339(spanEvent.timeUnixNano) ?? nanosToRfc3339(span.endTimeUnixNano) ?? nanosToRfc3339(span.startTimeUnixNano) ?? missingTime(observed.flags);
  return buildEvent({
    decisionType: observed.decisionType,
    tenantId: observed.tenantId,
    environment: observed.environment,
    actor: observed.actor,
    payload: observed.payload,
    flags: observed.flags,
    schemaVersion: SCHEMA_VERSION,
    eventId: derivedSpanEventId(span.traceId, span.spanId, index),
    eventType: 'decision.observed',
    decisionId,
    parentDecisionId,
    traceId: span.traceId,
    span,
    timestamp,
    context,
    source: 'otlp.span_event',
    attributes: spanEvent.attributes,
  });
}
