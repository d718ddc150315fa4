import { DEFAULT_TENANT, type Actor, type DecisionEvent, type DecisionEventType, type EventSource } from './event.js';
import type { ReadonlyAttributes, ReadonlyResourceSpans, ReadonlySpan, ReadonlySpanEvent } from './readonly-otlp-types.js';
import type { RecordFlag, RedactionEntry } from './decision-notes.js';
import { nanosToRfc3339, toText } from './attribute-values.js';
import { readCausalLinks } from './causal-links.js';
import { decodeRedactions, mergeRedactions } from './redaction/redactions-attribute.js';
import { ATTR_DT_REDACTIONS } from './semconv.js';

/**
 * What every span → decision event conversion (from-spans.ts, from-dt-spans.ts) shares: the
 * resource's context, actor fields, span times, the error a span reports, and the assembly of
 * the event itself.
 */
export interface ResourceContext {
  authenticatedTenant: string | null;
  serviceName: string | null;
  /** From the resource's deployment environment; a decision's own environment key wins. */
  environment: string | null;
  /** What the redaction processor changed in the resource's attributes (its `dt.redactions`). */
  redactions: RedactionEntry[];
  /** The trusted `dt.redactions` note of an attribute set (none when untrusted or absent). */
  notesOf(attributes: ReadonlyAttributes): RedactionEntry[];
}

export function resourceContext(
  resource: ReadonlyResourceSpans,
  authenticatedTenant: string | null,
  trustNote: ((attributes: ReadonlyAttributes) => boolean) | undefined,
): ResourceContext {
  const attributes = resource.resource.attributes;
  const notesOf = (set: ReadonlyAttributes): RedactionEntry[] =>
    !(ATTR_DT_REDACTIONS in set) || (trustNote !== undefined && !trustNote(set)) ? [] : decodeRedactions(set[ATTR_DT_REDACTIONS]);
  return {
    notesOf,
    authenticatedTenant,
    serviceName: toText(attributes['service.name']),
    environment: toText(attributes['deployment.environment.name']) ?? toText(attributes['deployment.environment']),
    redactions: notesOf(attributes),
  };
}

export class ActorFields {
  id: string | null = null;
  type: string | null = null;
  version: string | null = null;
  org: string | null = null;

  toActor(): Actor | null {
    if (this.id === null && this.type === null && this.version === null && this.org === null) return null;
    return { id: this.id, type: this.type, version: this.version, org: this.org };
  }
}

const EPOCH = new Date(0).toISOString();
export const SPAN_STATUS_ERROR = 2;
const EXCEPTION_EVENT_NAME = 'exception';

/** Event id of a span or span event's decision event when none is given. */
export function derivedSpanEventId(traceId: string, spanId: string, eventIndex?: number): string {
  return eventIndex === undefined ? `otlp:${traceId}:${spanId}` : `otlp:${traceId}:${spanId}:e${eventIndex}`;
}

/** Sets payload.start_time / end_time from the span unless given; returns the event time. */
export function addSpanTimes(span: ReadonlySpan, payload: Record<string, unknown>, flags: RecordFlag[]): string {
  const startTime = nanosToRfc3339(span.startTimeUnixNano);
  const endTime = nanosToRfc3339(span.endTimeUnixNano);
  if (startTime !== null && !('start_time' in payload)) payload.start_time = startTime;
  if (endTime !== null && !('end_time' in payload)) payload.end_time = endTime;
  return endTime ?? startTime ?? missingTime(flags);
}

export function missingTime(flags: RecordFlag[]): string {
  flags.push({ code: 'invalid_value', field: 'timestamp', detail: 'no valid time on the span; epoch used' });
  return EPOCH;
}

/** The OTel semantic conventions' `exception` span events, in their order. */
export function exceptionEvents(span: ReadonlySpan): ReadonlySpanEvent[] {
  return span.events.filter((event) => event.name === EXCEPTION_EVENT_NAME);
}

/**
 * A decision error as an `exception` span event tells it: `{message, error_type}` from
 * `exception.message` and `exception.type` (each when present), else the status message.
 */
export function errorFromException(exception: ReadonlySpanEvent | undefined, statusMessage: string): Record<string, unknown> {
  const message = exception === undefined ? null : toText(exception.attributes['exception.message']);
  const errorType = exception === undefined ? null : toText(exception.attributes['exception.type']);
  const error: Record<string, unknown> = { message: message ?? (statusMessage || 'span status ERROR') };
  if (errorType !== null) error.error_type = errorType;
  return error;
}

export interface EventParts {
  schemaVersion: string;
  eventId: string;
  eventType: DecisionEventType;
  decisionId: string;
  decisionType: string | null;
  tenantId: string | null;
  environment: string | null;
  actor: Actor | null;
  payload: Record<string, unknown>;
  flags: RecordFlag[];
  parentDecisionId: string | null;
  /** The decision's trace; the span's own trace id unless the sender named another. */
  traceId: string;
  span: ReadonlySpan;
  timestamp: string;
  context: ResourceContext;
  source: EventSource;
  /** The attributes the decision was read from; their `dt.redactions` goes on the event. */
  attributes: ReadonlyAttributes;
  /** Causal links when the caller read them itself; otherwise they come from the attributes. */
  causalLinks?: DecisionEvent['causal_links'];
}

export function buildEvent(parts: EventParts): DecisionEvent {
  const { span, context } = parts;
  const event: DecisionEvent = {
    schema_version: parts.schemaVersion,
    event_id: parts.eventId,
    event_type: parts.eventType,
    decision_id: parts.decisionId,
    decision_type: parts.decisionType,
    parent_decision_id: parts.parentDecisionId,
    trace_id: parts.traceId,
    span_id: span.spanId,
    tenant_id: context.authenticatedTenant ?? parts.tenantId ?? DEFAULT_TENANT,
    environment: parts.environment ?? context.environment,
    timestamp: parts.timestamp,
    actor: parts.actor,
    payload: parts.payload,
    causal_links: parts.causalLinks ?? readCausalLinks(parts.attributes, parts.source === 'otlp.span_event' ? null : span, parts.flags),
    source: parts.source,
    service_name: context.serviceName,
  };
  if (parts.flags.length > 0) event.flags = parts.flags;
  const ownRedactions = context.notesOf(parts.attributes);
  if (ownRedactions.length > 0 || context.redactions.length > 0) {
    event.redactions = mergeRedactions(context.redactions, ownRedactions);
  }
  return event;
}
