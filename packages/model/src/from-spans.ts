import {
  CANONICAL_EVENT_TYPES,
  DEFAULT_TENANT,
  schemaEventType,
  SCHEMA_VERSION,
  type Actor,
  type DecisionEvent,
  type DecisionEventType,
  type EventSource,
} from './event.js';
import type { Attributes, ResourceSpans, Span, SpanEvent } from './otlp-types.js';
import type { PolicyCheck, RecordFlag, RedactionEntry } from './record.js';
import { nanosToRfc3339, toJsonValue, toText } from './attribute-values.js';
import {
  isPlainObject,
  normalizeAlternatives,
  normalizeConfidence,
  normalizeFactors,
  parseJsonIfStructured,
} from './decision-values.js';
import { LineageIndex } from './lineage.js';
import { readCausalLinks } from './causal-links.js';
import { decodeRedactions, mergeRedactions } from './redaction/redactions-attribute.js';
import { REDACTIONS_ATTRIBUTE } from './redaction/settings.js';

/**
 * Span → decision event conversion (DESIGN.md §2 inputs A, B and C).
 *
 * A: a span with `decision.type` is one decision (`decision.observed`, source otlp.span).
 * B: each span event named `decision` is one decision (`decision.observed`, otlp.span_event).
 * C: a span with `dt.decision_id` is one canonical event of that decision (otlp.dt_span); the
 *    other events of the decision may come on other spans or in other requests.
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
  trustRedactionNote?: (attributes: Attributes) => boolean;
}

export const DECISION_SPAN_EVENT_NAME = 'decision';

const DECISION_TYPE_KEY = 'decision.type';
const DECISION_ID_KEY = 'decision.id';
const DT_DECISION_ID_KEY = 'dt.decision_id';
const DECISION_PREFIX = 'decision.';
const DECISION_EVIDENCE_PREFIX = 'decision.evidence.';
const DECISION_POLICY_PREFIX = 'decision.policy.';
const DT_PREFIX = 'dt.';
const DT_EVIDENCE_PREFIX = 'dt.evidence.';
const DT_POLICY_PREFIX = 'dt.policy.';
const DT_PAYLOAD_PREFIX = 'dt.payload.';
const SPAN_STATUS_ERROR = 2;
const EPOCH = new Date(0).toISOString();
const canonicalEventTypes: ReadonlySet<string> = new Set(CANONICAL_EVENT_TYPES);

/** Decision id of a span or span event that carries none: stable across redelivery. */
export function derivedDecisionId(traceId: string, spanId: string, eventIndex?: number): string {
  return eventIndex === undefined ? `${traceId}-${spanId}` : `${traceId}-${spanId}-${eventIndex}`;
}

/** Event id of a span or span event's decision event when none is given. */
export function derivedSpanEventId(traceId: string, spanId: string, eventIndex?: number): string {
  return eventIndex === undefined ? `otlp:${traceId}:${spanId}` : `otlp:${traceId}:${spanId}:e${eventIndex}`;
}

/**
 * The decision a span itself carries (C's dt.decision_id, or A's decision.id / derived id),
 * or null. Cheap for the common non-decision span: two `in` checks.
 */
export function spanDecisionId(span: Span): string | null {
  const attributes = span.attributes;
  const dtDecisionId = DT_DECISION_ID_KEY in attributes ? toText(attributes[DT_DECISION_ID_KEY]) : null;
  if (dtDecisionId !== null) return dtDecisionId;
  if (!hasDecisionType(attributes)) return null;
  return toText(attributes[DECISION_ID_KEY]) ?? derivedDecisionId(span.traceId, span.spanId);
}

export function extractDecisionEvents(
  resourceSpans: ResourceSpans[],
  options: ExtractDecisionEventsOptions = {},
): DecisionEvent[] {
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
  const authenticatedTenant = options.tenant ? options.tenant : null;
  for (const resource of resourceSpans) {
    let context: ResourceContext | undefined;
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        const attributes = span.attributes;
        const dtDecisionId = DT_DECISION_ID_KEY in attributes ? toText(attributes[DT_DECISION_ID_KEY]) : null;
        const isAttributeDecision = dtDecisionId === null && hasDecisionType(attributes);
        if (dtDecisionId === null && !isAttributeDecision && span.events.length === 0) continue;

        context ??= resourceContext(resource, authenticatedTenant, options.trustRedactionNote);
        let ownDecisionId: string | null = null;
        if (dtDecisionId !== null) {
          events.push(fromDtSpan(span, dtDecisionId, context, lineage));
          ownDecisionId = dtDecisionId;
        } else if (isAttributeDecision) {
          const event = fromDecisionSpan(span, context, lineage);
          events.push(event);
          ownDecisionId = event.decision_id;
        }
        const spanEvents = span.events;
        for (let index = 0; index < spanEvents.length; index++) {
          const spanEvent = spanEvents[index];
          if (spanEvent.name !== DECISION_SPAN_EVENT_NAME) continue;
          events.push(fromDecisionSpanEvent(span, spanEvent, index, ownDecisionId, context, lineage));
        }
      }
    }
  }
  awaitMissingAncestors(events, lineage);
  linkArrivedAncestors(events, lineage);
  return events;
}

/**
 * A decision without a parent whose ancestry broke at a span not seen yet waits for that span:
 * SDKs export children before their parents, and one trace's spans may be split over requests.
 */
function awaitMissingAncestors(events: DecisionEvent[], lineage: LineageIndex): void {
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (event.parent_decision_id !== null || event.trace_id === null || event.span_id === null) continue;
    const lookup = lineage.lookupAncestor(event.trace_id, event.span_id, event.decision_id);
    if (lookup.kind !== 'missing') continue;
    lineage.awaitSpan(lookup.spanId, {
      traceId: event.trace_id,
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
    if (lookup.kind !== 'decision') continue;
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

function hasDecisionType(attributes: Attributes): boolean {
  if (!(DECISION_TYPE_KEY in attributes)) return false;
  const value = attributes[DECISION_TYPE_KEY];
  return value !== null && value !== undefined && value !== '';
}

interface ResourceContext {
  authenticatedTenant: string | null;
  serviceName: string | null;
  /** From the resource's deployment environment; a decision's own environment key wins. */
  environment: string | null;
  /** What the redaction processor changed in the resource's attributes (its `dt.redactions`). */
  redactions: RedactionEntry[];
  /** The trusted `dt.redactions` note of an attribute set (none when untrusted or absent). */
  notesOf(attributes: Attributes): RedactionEntry[];
}

function resourceContext(
  resource: ResourceSpans,
  authenticatedTenant: string | null,
  trustNote: ((attributes: Attributes) => boolean) | undefined,
): ResourceContext {
  const attributes = resource.resource.attributes;
  const notesOf = (set: Attributes): RedactionEntry[] =>
    !(REDACTIONS_ATTRIBUTE in set) || (trustNote !== undefined && !trustNote(set)) ? [] : decodeRedactions(set[REDACTIONS_ATTRIBUTE]);
  return {
    notesOf,
    authenticatedTenant,
    serviceName: toText(attributes['service.name']),
    environment: toText(attributes['deployment.environment.name']) ?? toText(attributes['deployment.environment']),
    redactions: notesOf(attributes),
  };
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

function readObservedDecision(attributes: Attributes): ObservedDecision {
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
    if (!key.startsWith(DECISION_PREFIX)) continue;
    const value = attributes[key];
    switch (key) {
      case DECISION_TYPE_KEY: observed.decisionType = toText(value); break;
      case 'decision.version': version = toText(value); break;
      case 'decision.outcome': outcome = toText(value); break;
      case 'decision.result': result = toText(value); break;
      case 'decision.confidence': confidence = toJsonValue(value); break;
      case 'decision.factors': factors = toJsonValue(value); break;
      case 'decision.alternatives': alternatives = toJsonValue(value); break;
      case DECISION_ID_KEY: observed.decisionId = toText(value); break;
      case 'decision.parent_id': observed.parentDecisionId = toText(value); break;
      case 'decision.tenant_id': observed.tenantId = toText(value); break;
      case 'decision.environment': observed.environment = toText(value); break;
      case 'decision.actor.id': actor.id = toText(value); break;
      case 'decision.actor.type': actor.type = toText(value); break;
      case 'decision.actor.version': actor.version = toText(value); break;
      case 'decision.actor.org': actor.org = toText(value); break;
      case 'decision.evidence': {
        // A kvlist value carries all evidence at once.
        const entries = toJsonValue(value);
        if (isPlainObject(entries)) evidence = Object.assign(evidence ?? {}, entries);
        break;
      }
      default:
        if (key.startsWith(DECISION_EVIDENCE_PREFIX)) {
          const evidenceKey = key.slice(DECISION_EVIDENCE_PREFIX.length);
          if (evidenceKey !== '') (evidence ??= {})[evidenceKey] = toJsonValue(value);
        } else if (key.startsWith(DECISION_POLICY_PREFIX)) {
          const policy = key.slice(DECISION_POLICY_PREFIX.length);
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

function fromDecisionSpan(span: Span, context: ResourceContext, lineage: LineageIndex): DecisionEvent {
  const observed = readObservedDecision(span.attributes);
  const decisionId = observed.decisionId ?? derivedDecisionId(span.traceId, span.spanId);
  const parentDecisionId =
    observed.parentDecisionId ?? lineage.nearestAncestorDecision(span.traceId, span.spanId, decisionId);
  const payload = observed.payload;
  const timestamp = addSpanTimes(span, payload, observed.flags);
  if (span.status.code === SPAN_STATUS_ERROR) {
    payload.error = { message: span.status.message || 'span status ERROR' };
  }
  return buildEvent({
    schemaVersion: SCHEMA_VERSION,
    eventId: derivedSpanEventId(span.traceId, span.spanId),
    eventType: 'decision.observed',
    decisionId,
    observed,
    parentDecisionId,
    span,
    timestamp,
    context,
    source: 'otlp.span',
    attributes: span.attributes,
  });
}

function fromDecisionSpanEvent(
  span: Span,
  spanEvent: SpanEvent,
  index: number,
  spanOwnDecisionId: string | null,
  context: ResourceContext,
  lineage: LineageIndex,
): DecisionEvent {
  const observed = readObservedDecision(spanEvent.attributes);
  const decisionId = observed.decisionId ?? derivedDecisionId(span.traceId, span.spanId, index);
  const enclosingDecisionId = spanOwnDecisionId !== decisionId ? spanOwnDecisionId : null;
  const parentDecisionId =
    observed.parentDecisionId ??
    enclosingDecisionId ??
    lineage.nearestAncestorDecision(span.traceId, span.spanId, decisionId);
  const timestamp =
    nanosToRfc3339(spanEvent.timeUnixNano) ??
    nanosToRfc3339(span.endTimeUnixNano) ??
    nanosToRfc3339(span.startTimeUnixNano) ??
    missingTime(observed.flags);
  return buildEvent({
    schemaVersion: SCHEMA_VERSION,
    eventId: derivedSpanEventId(span.traceId, span.spanId, index),
    eventType: 'decision.observed',
    decisionId,
    observed,
    parentDecisionId,
    span,
    timestamp,
    context,
    source: 'otlp.span_event',
    attributes: spanEvent.attributes,
  });
}

// ---- input C: the Decision Trace SDK's `dt.*` projection ----

function fromDtSpan(span: Span, decisionId: string, context: ResourceContext, lineage: LineageIndex): DecisionEvent {
  const attributes = span.attributes;
  const flags: RecordFlag[] = [];
  const actor = new ActorFields();
  let eventTypeText: string | null = null;
  let parentDecisionId: string | null = null;
  let decisionType: string | null = null;
  let tenantId: string | null = null;
  let environment: string | null = null;
  let schemaVersion: string | null = null;
  let eventId: string | null = null;
  let sdkTraceId: string | null = null;
  let outcome: string | null = null;
  let evidence: Record<string, unknown> | null = null;
  let evidenceCount = 0;
  let policyChecks: PolicyCheck[] | null = null;
  const payload: Record<string, unknown> = {};

  for (const key in attributes) {
    if (!key.startsWith(DT_PREFIX)) continue;
    const value = attributes[key];
    switch (key) {
      case DT_DECISION_ID_KEY: break;
      case 'dt.parent_decision_id': parentDecisionId = toText(value); break;
      case 'dt.trace_id': sdkTraceId = toText(value); break;
      case 'dt.decision_type': decisionType = toText(value); break;
      case 'dt.event_type': eventTypeText = toText(value); break;
      case 'dt.tenant_id': tenantId = toText(value); break;
      case 'dt.environment': environment = toText(value); break;
      case 'dt.schema_version': schemaVersion = toText(value); break;
      case 'dt.event_id': eventId = toText(value); break;
      case 'dt.outcome': outcome = toText(value); break;
      case 'dt.actor.id': actor.id = toText(value); break;
      case 'dt.actor.type': actor.type = toText(value); break;
      case 'dt.actor.version': actor.version = toText(value); break;
      case 'dt.actor.org': actor.org = toText(value); break;
      default:
        if (key.startsWith(DT_PAYLOAD_PREFIX)) {
          const payloadKey = key.slice(DT_PAYLOAD_PREFIX.length);
          if (payloadKey !== '') payload[payloadKey] = parseJsonIfStructured(toJsonValue(value));
        } else if (key.startsWith(DT_EVIDENCE_PREFIX)) {
          const evidenceKey = key.slice(DT_EVIDENCE_PREFIX.length);
          if (evidenceKey !== '') {
            (evidence ??= {})[evidenceKey] = parseJsonIfStructured(toJsonValue(value));
            evidenceCount++;
          }
        } else if (key.startsWith(DT_POLICY_PREFIX)) {
          const policy = key.slice(DT_POLICY_PREFIX.length);
          if (policy !== '') (policyChecks ??= []).push({ policy, result: parseJsonIfStructured(toJsonValue(value)) });
        }
    }
  }

  let eventType: DecisionEventType = 'decision.start';
  if (eventTypeText !== null) {
    // Earlier releases' unprefixed names are aliases of schema 1.0's (event.ts).
    const schemaName = schemaEventType(eventTypeText);
    if (canonicalEventTypes.has(schemaName)) eventType = schemaName as DecisionEventType;
    else flags.push({ code: 'invalid_value', field: 'event_type', detail: 'unknown dt.event_type, kept as decision.start' });
  }

  if ('confidence' in payload) payload.confidence = normalizeConfidence(payload.confidence, flags);
  if ('factors' in payload) payload.factors = normalizeFactors(payload.factors, flags);
  if ('alternatives' in payload) payload.alternatives = normalizeAlternatives(payload.alternatives, flags);
  if (evidence !== null) {
    payload.evidence = isPlainObject(payload.evidence) ? { ...payload.evidence, ...evidence } : evidence;
    if (eventType === 'decision.evidence' && evidenceCount === 1 && !('key' in payload)) {
      const [[key, value]] = Object.entries(evidence);
      payload.key = key;
      payload.value = value;
    }
  }
  if (policyChecks !== null) {
    payload.policy_checks = Array.isArray(payload.policy_checks)
      ? [...(payload.policy_checks as unknown[]), ...policyChecks]
      : policyChecks;
    if (eventType === 'decision.policy_check' && policyChecks.length === 1 && !('policy' in payload)) {
      payload.policy = policyChecks[0].policy;
      payload.result = policyChecks[0].result;
    }
  }
  if (outcome !== null) {
    const outcomeField = eventType === 'decision.outcome' ? 'status' : 'outcome';
    if (!(outcomeField in payload)) payload[outcomeField] = outcome;
  }
  // The SDK's own trace id is kept when it differs from the OTel trace the span travelled in.
  if (sdkTraceId !== null && sdkTraceId !== span.traceId) payload.sdk_trace_id = sdkTraceId;
  const timestamp = addSpanTimes(span, payload, flags);

  return buildEvent({
    schemaVersion: schemaVersion ?? SCHEMA_VERSION,
    eventId: eventId ?? derivedSpanEventId(span.traceId, span.spanId),
    eventType,
    decisionId,
    observed: { decisionType, tenantId, environment, actor: actor.toActor(), payload, flags },
    parentDecisionId: parentDecisionId ?? lineage.nearestAncestorDecision(span.traceId, span.spanId, decisionId),
    span,
    timestamp,
    context,
    source: 'otlp.dt_span',
    attributes: span.attributes,
  });
}

// ---- shared ----

class ActorFields {
  id: string | null = null;
  type: string | null = null;
  version: string | null = null;
  org: string | null = null;

  toActor(): Actor | null {
    if (this.id === null && this.type === null && this.version === null && this.org === null) return null;
    return { id: this.id, type: this.type, version: this.version, org: this.org };
  }
}

/** Sets payload.start_time / end_time from the span unless given; returns the event time. */
function addSpanTimes(span: Span, payload: Record<string, unknown>, flags: RecordFlag[]): string {
  const startTime = nanosToRfc3339(span.startTimeUnixNano);
  const endTime = nanosToRfc3339(span.endTimeUnixNano);
  if (startTime !== null && !('start_time' in payload)) payload.start_time = startTime;
  if (endTime !== null && !('end_time' in payload)) payload.end_time = endTime;
  return endTime ?? startTime ?? missingTime(flags);
}

function missingTime(flags: RecordFlag[]): string {
  flags.push({ code: 'invalid_value', field: 'timestamp', detail: 'no valid time on the span; epoch used' });
  return EPOCH;
}

interface EventParts {
  schemaVersion: string;
  eventId: string;
  eventType: DecisionEventType;
  decisionId: string;
  observed: Pick<ObservedDecision, 'decisionType' | 'tenantId' | 'environment' | 'actor' | 'payload' | 'flags'>;
  parentDecisionId: string | null;
  span: Span;
  timestamp: string;
  context: ResourceContext;
  source: EventSource;
  /** The attributes the decision was read from; their `dt.redactions` goes on the event. */
  attributes: Attributes;
}

function buildEvent(parts: EventParts): DecisionEvent {
  const { observed, span, context } = parts;
  const event: DecisionEvent = {
    schema_version: parts.schemaVersion,
    event_id: parts.eventId,
    event_type: parts.eventType,
    decision_id: parts.decisionId,
    decision_type: observed.decisionType,
    parent_decision_id: parts.parentDecisionId,
    trace_id: span.traceId,
    span_id: span.spanId,
    tenant_id: context.authenticatedTenant ?? observed.tenantId ?? DEFAULT_TENANT,
    environment: observed.environment ?? context.environment,
    timestamp: parts.timestamp,
    actor: observed.actor,
    payload: observed.payload,
    causal_links: readCausalLinks(parts.attributes, parts.source === 'otlp.span_event' ? null : span, observed.flags),
    source: parts.source,
    service_name: context.serviceName,
  };
  if (observed.flags.length > 0) event.flags = observed.flags;
  const ownRedactions = context.notesOf(parts.attributes);
  if (ownRedactions.length > 0 || context.redactions.length > 0) {
    event.redactions = mergeRedactions(context.redactions, ownRedactions);
  }
  return event;
}
