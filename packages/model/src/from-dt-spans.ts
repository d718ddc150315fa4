import {
  ATTR_DT_ACTOR_ID,
  ATTR_DT_ACTOR_ORG,
  ATTR_DT_ACTOR_TYPE,
  ATTR_DT_ACTOR_VERSION,
  ATTR_DT_DECISION_ID,
  ATTR_DT_DECISION_TYPE,
  ATTR_DT_ENVIRONMENT,
  ATTR_DT_EVENT_ID,
  ATTR_DT_EVENT_TYPE,
  ATTR_DT_EVIDENCE_PREFIX,
  ATTR_DT_OUTCOME,
  ATTR_DT_PARENT_DECISION_ID,
  ATTR_DT_PAYLOAD_JSON,
  ATTR_DT_PAYLOAD_PREFIX,
  ATTR_DT_POLICY_PREFIX,
  ATTR_DT_SCHEMA_VERSION,
  ATTR_DT_TENANT_ID,
  ATTR_DT_TRACE_ID,
  DT_ATTRIBUTE_PREFIX,
} from './semconv.js';
import {
  CANONICAL_EVENT_TYPES,
  CAUSAL_LINK_TYPES,
  SCHEMA_VERSION,
  schemaEventType,
  type CausalLink,
  type DecisionEvent,
  type DecisionEventType,
} from './event.js';
import type { ReadonlyAttributes, ReadonlySpan } from './readonly-otlp-types.js';
import type { RecordFlag } from './decision-notes.js';
import { nanosToRfc3339, toJsonValue, toText, tryParseJson } from './attribute-values.js';
import { isPlainObject, normalizeAlternatives, normalizeConfidence, normalizeFactors, parseJsonIfStructured } from './decision-values.js';
import { canonicalEventTimestamp } from './canonical.js';
import type { LineageIndex } from './lineage.js';
import { parsePythonLiteral } from './python-literal.js';
import {
  ActorFields,
  SPAN_STATUS_ERROR,
  buildEvent,
  derivedSpanEventId,
  errorFromException,
  exceptionEvents,
  addSpanTimes,
  missingTime,
  type EventParts,
  type ResourceContext,
} from './span-event-parts.js';
import { setOwn } from './own-property.js';

/**
 * Input C: the Decision Trace SDKs' OpenTelemetry projections (spans with `dt.decision_id`),
 * read so that each gives the events — and so the record — the canonical-events path gives.
 * The upstream SDKs project in two ways:
 *
 * - **One span per canonical event** (`dt.event_type` set): the mapping in the upstream docs
 *   (`docs/otel-mapping-notes.md`: `dt.*` envelope, scalar payload fields as `dt.payload.<key>`,
 *   ERROR status for `decision.error`) and the Java SDK's `OpenTelemetryDecisionExporter`
 *   (the same envelope plus `dt.payload_json`, the whole event serialised). The span gives one
 *   event of that type; `dt.payload_json` gives its payload, timestamp and causal links exactly.
 *   Without it the event's time is the span's start: these spans are points (the Java one ends
 *   when the exporter returns). A lasting `decision.start` span without it may carry a whole decision
 *   (this repository's in-process SDK: `dt.payload.evidence`, `dt.outcome`, …), so its span
 *   times are the decision's.
 * - **One span per decision** (no `dt.event_type`): the Python SDK's `OTelExporter`. The span,
 *   named after the decision type, starts at `decision.start` and ends at the SDK's flush;
 *   evidence arrives as `dt.evidence.<key>` (a dict or list as Python's `str()` of it), policy
 *   checks as `dt.policy.<name>`, the outcome as `dt.outcome`, an error as an `exception` span
 *   event (`exception.message`, `exception.type`) with ERROR status. It gives the events the
 *   SDK had: a start at the span's start, each evidence and policy check, the outcome at the
 *   span's end, each error at its exception event's time. What this exporter never sends
 *   (actions, approvals, evaluations, parent and causal links, actor version, policy inputs,
 *   an evidence value of None) cannot be in the record.
 *
 * The record's trace is the SDK's (`dt.trace_id`), as on the canonical path; the span keeps
 * its OTel span id. Ids of the events a span gives are stable, so redelivery changes nothing.
 */
const canonicalEventTypes: ReadonlySet<string> = new Set(CANONICAL_EVENT_TYPES);
const causalLinkTypes: ReadonlySet<string> = new Set(CAUSAL_LINK_TYPES);

/** The `dt.*` attributes of a span, read once. */
interface DtAttributes {
  parentDecisionId: string | null;
  sdkTraceId: string | null;
  decisionType: string | null;
  eventType: string | null;
  tenantId: string | null;
  environment: string | null;
  schemaVersion: string | null;
  eventId: string | null;
  outcome: string | null;
  actor: ActorFields;
  /** `dt.payload.<key>` values, JSON-looking strings parsed. */
  payload: Record<string, unknown>;
  evidence: Array<[string, unknown]>;
  policies: Array<[string, unknown]>;
  payloadJson: string | null;
}

function readDtAttributes(attributes: ReadonlyAttributes): DtAttributes {
  const dt: DtAttributes = {
    parentDecisionId: null,
    sdkTraceId: null,
    decisionType: null,
    eventType: null,
    tenantId: null,
    environment: null,
    schemaVersion: null,
    eventId: null,
    outcome: null,
    actor: new ActorFields(),
    payload: {},
    evidence: [],
    policies: [],
    payloadJson: null,
  };
  for (const key in attributes) {
    if (!key.startsWith(DT_ATTRIBUTE_PREFIX)) continue;
    const value = attributes[key];
    switch (key) {
      case ATTR_DT_DECISION_ID:
        break;
      case ATTR_DT_PARENT_DECISION_ID:
        dt.parentDecisionId = toText(value);
        break;
      case ATTR_DT_TRACE_ID:
        dt.sdkTraceId = toText(value);
        break;
      case ATTR_DT_DECISION_TYPE:
        dt.decisionType = toText(value);
        break;
      case ATTR_DT_EVENT_TYPE:
        dt.eventType = toText(value);
        break;
      case ATTR_DT_TENANT_ID:
        dt.tenantId = toText(value);
        break;
      case ATTR_DT_ENVIRONMENT:
        dt.environment = toText(value);
        break;
      case ATTR_DT_SCHEMA_VERSION:
        dt.schemaVersion = toText(value);
        break;
      case ATTR_DT_EVENT_ID:
        dt.eventId = toText(value);
        break;
      case ATTR_DT_OUTCOME:
        dt.outcome = toText(value);
        break;
      case ATTR_DT_ACTOR_ID:
        dt.actor.id = toText(value);
        break;
      case ATTR_DT_ACTOR_TYPE:
        dt.actor.type = toText(value);
        break;
      case ATTR_DT_ACTOR_VERSION:
        dt.actor.version = toText(value);
        break;
      case ATTR_DT_ACTOR_ORG:
        dt.actor.org = toText(value);
        break;
      case ATTR_DT_PAYLOAD_JSON:
        dt.payloadJson = typeof value === 'string' ? value : toText(value);
        break;
      default:
        if (key.startsWith(ATTR_DT_PAYLOAD_PREFIX)) {
          const payloadKey = key.slice(ATTR_DT_PAYLOAD_PREFIX.length);
          if (payloadKey !== '') setOwn(dt.payload, payloadKey, parseJsonIfStructured(toJsonValue(value)));
        } else if (key.startsWith(ATTR_DT_EVIDENCE_PREFIX)) {
          const evidenceKey = key.slice(ATTR_DT_EVIDENCE_PREFIX.length);
          if (evidenceKey !== '') dt.evidence.push([evidenceKey, toJsonValue(value)]);
        } else if (key.startsWith(ATTR_DT_POLICY_PREFIX)) {
          const policy = key.slice(ATTR_DT_POLICY_PREFIX.length);
          if (policy !== '') dt.policies.push([policy, toJsonValue(value)]);
        }
    }
  }
  return dt;
}

/** The whole canonical event in `dt.payload_json` (the Java exporter), or its payload alone. */
interface PayloadJson {
  payload: Record<string, unknown> | null;
  event: Record<string, unknown> | null;
}

function readPayloadJson(text: string | null, flags: RecordFlag[]): PayloadJson {
  if (text === null) return { payload: null, event: null };
  const parsed = tryParseJson(text);
  if (!parsed.ok) {
    flags.push({ code: 'invalid_json', field: ATTR_DT_PAYLOAD_JSON, detail: parsed.detail });
    return { payload: null, event: null };
  }
  const value = parsed.value;
  if (!isPlainObject(value)) {
    flags.push({ code: 'invalid_value', field: ATTR_DT_PAYLOAD_JSON, detail: 'expected a JSON object' });
    return { payload: null, event: null };
  }
  if (typeof value.event_type === 'string' && isPlainObject(value.payload)) return { payload: value.payload, event: value };
  return { payload: value, event: null };
}

export interface DtSpanInput {
  span: ReadonlySpan;
  decisionId: string;
  context: ResourceContext;
  lineage: LineageIndex;
}

/** The events of a span with `dt.decision_id`, in the order the SDK emitted them. */
export function fromDtSpan({ span, decisionId, context, lineage }: DtSpanInput): DecisionEvent[] {
  const dt = readDtAttributes(span.attributes);
  return dt.eventType === null ? fromDecisionSpan(span, decisionId, dt, context, lineage) : fromEventSpan(span, decisionId, dt, context, lineage);
}

type Envelope = Omit<EventParts, 'eventId' | 'eventType' | 'payload' | 'flags' | 'timestamp'>;

/**
 * The envelope and one event's own fields as buildEvent takes them, written out: on Node 20 an
 * object literal spreading the envelope with the event's keys after it cost about 9 µs per
 * event, this one well under 1 (the same cost from-spans.ts had, a fifth of ingest's main thread).
 */
function eventParts(
  base: Envelope,
  eventId: string,
  eventType: DecisionEventType,
  payload: Record<string, unknown>,
  flags: RecordFlag[],
  timestamp: string,
  causalLinks: EventParts['causalLinks'],
): EventParts {
  return {
    schemaVersion: base.schemaVersion,
    decisionId: base.decisionId,
    decisionType: base.decisionType,
    tenantId: base.tenantId,
    environment: base.environment,
    actor: base.actor,
    parentDecisionId: base.parentDecisionId,
    traceId: base.traceId,
    span: base.span,
    context: base.context,
    source: base.source,
    attributes: base.attributes,
    eventId,
    eventType,
    payload,
    flags,
    timestamp,
    causalLinks,
  };
}

function envelope(
  span: ReadonlySpan,
  decisionId: string,
  dt: DtAttributes,
  json: Record<string, unknown> | null,
  context: ResourceContext,
  lineage: LineageIndex,
  decisionTypeFallback: string | null,
): Envelope {
  const jsonActor = json !== null && isPlainObject(json.actor) ? json.actor : null;
  const actor = dt.actor;
  if (jsonActor !== null) {
    actor.id ??= textOf(jsonActor.id);
    actor.type ??= textOf(jsonActor.type);
    actor.version ??= textOf(jsonActor.version);
    actor.org ??= textOf(jsonActor.org);
  }
  return {
    schemaVersion: dt.schemaVersion ?? textOf(json?.schema_version) ?? SCHEMA_VERSION,
    decisionId,
    decisionType: dt.decisionType ?? textOf(json?.decision_type) ?? decisionTypeFallback,
    tenantId: dt.tenantId ?? textOf(json?.tenant_id),
    environment: dt.environment ?? textOf(json?.environment),
    actor: actor.toActor(),
    parentDecisionId: dt.parentDecisionId ?? textOf(json?.parent_decision_id) ?? lineage.nearestAncestorDecision(span.traceId, span.spanId, decisionId),
    traceId: dt.sdkTraceId ?? textOf(json?.trace_id) ?? span.traceId,
    span,
    context,
    source: 'otlp.dt_span',
    attributes: span.attributes,
  };
}

// ---- one span per canonical event (docs mapping, Java exporter) ----

function fromEventSpan(span: ReadonlySpan, decisionId: string, dt: DtAttributes, context: ResourceContext, lineage: LineageIndex): DecisionEvent[] {
  const flags: RecordFlag[] = [];
  const json = readPayloadJson(dt.payloadJson, flags);
  const base = envelope(span, decisionId, dt, json.event, context, lineage, null);

  const schemaName = schemaEventType(dt.eventType!);
  let eventType: DecisionEventType = 'decision.start';
  if (canonicalEventTypes.has(schemaName)) eventType = schemaName as DecisionEventType;
  else flags.push({ code: 'invalid_value', field: 'event_type', detail: 'unknown dt.event_type, kept as decision.start' });

  let payload: Record<string, unknown>;
  if (json.payload !== null) {
    payload = { ...json.payload };
  } else {
    payload = dt.payload;
    // The attribute form carries text; the same normalisation as input A's keys.
    if ('confidence' in payload) payload.confidence = normalizeConfidence(payload.confidence, flags);
    if ('factors' in payload) payload.factors = normalizeFactors(payload.factors, flags);
    if ('alternatives' in payload) payload.alternatives = normalizeAlternatives(payload.alternatives, flags);
  }

  foldAttributeFields(payload, eventType, dt);
  if (span.status.code === SPAN_STATUS_ERROR) {
    // ERROR status (and its `exception` event) say what failed, as on a decision.* span: the
    // error event's own payload, or the error of a decision.start span that carries a whole
    // decision.
    const error = () => errorFromException(exceptionEvents(span).at(-1), span.status.message);
    if (eventType === 'decision.error' && !('message' in payload)) Object.assign(payload, error());
    else if (eventType === 'decision.start' && !('error' in payload)) payload.error = error();
  }

  // The event's time: the canonical event's own (dt.payload_json); else a decision.start span
  // that lasts (this repository's in-process SDK sends a whole decision so) spans the decision,
  // and its times are the decision's; any other event is a point, at the span's start.
  let timestamp = jsonTimestamp(json.event);
  if (timestamp === null && eventType === 'decision.start' && span.endTimeUnixNano > span.startTimeUnixNano) {
    timestamp = addSpanTimes(span, payload, flags);
  }
  timestamp ??= nanosToRfc3339(span.startTimeUnixNano) ?? nanosToRfc3339(span.endTimeUnixNano) ?? missingTime(flags);
  const eventId = dt.eventId ?? textOf(json.event?.event_id) ?? derivedSpanEventId(span.traceId, span.spanId);
  const causalLinks = json.event !== null ? jsonCausalLinks(json.event.causal_links, flags) : undefined;
  return [buildEvent(eventParts(base, eventId, eventType, payload, flags, timestamp, causalLinks))];
}

/**
 * `dt.evidence.<key>`, `dt.policy.<name>` and `dt.outcome` on a per-event span: the event's
 * own payload when it is of their type (`{key, value}`, `{policy, result}`, `{status}`), and
 * `evidence`, `policy_checks`, `outcome` payload fields besides, which the record takes from
 * any event.
 */
function foldAttributeFields(payload: Record<string, unknown>, eventType: DecisionEventType, dt: DtAttributes): void {
  if (dt.evidence.length > 0) {
    const evidence: Record<string, unknown> = {};
    for (const [key, value] of dt.evidence) setOwn(evidence, key, readEvidenceValue(value, false));
    payload.evidence = isPlainObject(payload.evidence) ? { ...payload.evidence, ...evidence } : evidence;
    if (eventType === 'decision.evidence' && dt.evidence.length === 1 && !('key' in payload)) {
      payload.key = dt.evidence[0][0];
      payload.value = evidence[dt.evidence[0][0]];
    }
  }
  if (dt.policies.length > 0) {
    const checks = dt.policies.map(([policy, result]) => ({ policy, result: parseJsonIfStructured(result) }));
    payload.policy_checks = Array.isArray(payload.policy_checks) ? [...(payload.policy_checks as unknown[]), ...checks] : checks;
    if (eventType === 'decision.policy_check' && checks.length === 1 && !('policy' in payload)) {
      payload.policy = checks[0].policy;
      payload.result = checks[0].result;
    }
  }
  if (dt.outcome !== null) {
    const field = eventType === 'decision.outcome' ? 'status' : 'outcome';
    if (!(field in payload)) payload[field] = dt.outcome;
  }
}

// ---- one span per decision (the Python SDK's OTelExporter) ----

function fromDecisionSpan(span: ReadonlySpan, decisionId: string, dt: DtAttributes, context: ResourceContext, lineage: LineageIndex): DecisionEvent[] {
  const flags: RecordFlag[] = [];
  const json = readPayloadJson(dt.payloadJson, flags);
  // The Python exporter names the span after the decision type and sets no dt.decision_type.
  const base = envelope(span, decisionId, dt, json.event, context, lineage, span.name === '' ? null : span.name);
  const startTime = nanosToRfc3339(span.startTimeUnixNano);
  const endTime = nanosToRfc3339(span.endTimeUnixNano);
  const start = startTime ?? endTime ?? missingTime(flags);
  const end = endTime ?? start;
  const baseId = dt.eventId ?? derivedSpanEventId(span.traceId, span.spanId);

  const payload = json.payload !== null ? { ...json.payload } : dt.payload;
  const events = [buildEvent(eventParts(base, baseId, 'decision.start', payload, flags, start, undefined))];
  addAttributeEvents(events, base, baseId, start, end, dt.evidence, dt.policies, dt.outcome);

  // Each decision.error became an `exception` event (and ERROR status, unless an earlier
  // outcome had set OK, which OTel keeps); ERROR status alone still says the decision failed.
  const exceptions = exceptionEvents(span);
  exceptions.forEach((exception, index) => {
    events.push(
      buildEvent(
        eventParts(
          base,
          `${baseId}:error:${index}`,
          'decision.error',
          errorFromException(exception, span.status.message),
          [],
          nanosToRfc3339(exception.timeUnixNano) ?? end,
          [],
        ),
      ),
    );
  });
  if (exceptions.length === 0 && span.status.code === SPAN_STATUS_ERROR) {
    events.push(buildEvent(eventParts(base, `${baseId}:error`, 'decision.error', errorFromException(undefined, span.status.message), [], end, [])));
  }
  return events;
}

/**
 * Evidence, policy checks and an outcome given as `dt.evidence.<key>`, `dt.policy.<name>` and
 * `dt.outcome` become the events the SDK emitted for them: evidence and checks at `at`, the
 * outcome (the decision's conclusion) at `outcomeAt`.
 */
function addAttributeEvents(
  events: DecisionEvent[],
  base: Envelope,
  baseId: string,
  at: string,
  outcomeAt: string,
  evidence: Array<[string, unknown]>,
  policies: Array<[string, unknown]>,
  outcome: string | null,
): void {
  const derived = (eventId: string, eventType: DecisionEventType, payload: Record<string, unknown>, timestamp: string) =>
    buildEvent(eventParts(base, eventId, eventType, payload, [], timestamp, []));
  for (const [key, value] of evidence) {
    events.push(derived(`${baseId}:evidence:${key}`, 'decision.evidence', { key, value: readEvidenceValue(value, true) }, at));
  }
  for (const [policy, result] of policies) {
    events.push(derived(`${baseId}:policy:${policy}`, 'decision.policy_check', { policy, result: parseJsonIfStructured(result) }, at));
  }
  if (outcome !== null) events.push(derived(`${baseId}:outcome`, 'decision.outcome', { status: outcome }, outcomeAt));
}

/**
 * An evidence attribute's value: JSON text of an object or array is parsed; from the Python
 * exporter, which writes a dict or list as Python's `str()` of it, that text is read too.
 */
function readEvidenceValue(value: unknown, pythonValues: boolean): unknown {
  const parsed = parseJsonIfStructured(value);
  if (!pythonValues || parsed !== value || typeof value !== 'string') return parsed;
  const first = value.trimStart()[0];
  if (first !== '{' && first !== '[') return value;
  const literal = parsePythonLiteral(value);
  return literal.ok ? literal.value : value;
}

/** The canonical event's own timestamp, stored as POST /v1/events stores it. */
function jsonTimestamp(event: Record<string, unknown> | null): string | null {
  const text = textOf(event?.timestamp);
  if (text === null || !RFC3339.test(text) || Number.isNaN(Date.parse(text))) return null;
  return canonicalEventTimestamp(text);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function jsonCausalLinks(value: unknown, flags: RecordFlag[]): CausalLink[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    flags.push({ code: 'invalid_value', field: ATTR_DT_PAYLOAD_JSON, detail: 'causal_links must be an array' });
    return [];
  }
  const links: CausalLink[] = [];
  for (const item of value) {
    if (
      isPlainObject(item) &&
      typeof item.type === 'string' &&
      causalLinkTypes.has(item.type) &&
      typeof item.target_decision_id === 'string' &&
      item.target_decision_id !== ''
    ) {
      links.push({ type: item.type as CausalLink['type'], target_decision_id: item.target_decision_id });
    } else {
      flags.push({ code: 'invalid_value', field: ATTR_DT_PAYLOAD_JSON, detail: 'a causal link needs a known type and a target_decision_id' });
    }
  }
  return links;
}

function textOf(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
