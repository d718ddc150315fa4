import { SpanKind, SpanStatusCode, type HrTime, type Tracer } from '@opentelemetry/api';

/**
 * A replay, with the OTel JS SDK, of the upstream Java SDK's `OpenTelemetryDecisionExporter`
 * (sdk/java/decision-trace-core/…/exporter/otel/OpenTelemetryDecisionExporter.java): the Java
 * SDK is not published to Maven Central, so it cannot be fetched as a package and run here.
 * This follows that class line by line: the span name, kind, start time, every attribute in
 * its order and type (dt.causal_link_count is a long), `dt.payload_json` as its
 * DecisionJsonSerializer writes `DecisionTraceEvent.toMap()` (key order, nulls, escapes), the
 * ERROR status of `decision.error`, and `span.end()` at once (the end time is the clock's).
 */
export interface CanonicalEventJson {
  tenant_id: string;
  environment: string;
  schema_version: string;
  timestamp: string;
  trace_id: string;
  decision_id: string;
  parent_decision_id: string | null;
  event_id: string;
  event_type: string;
  decision_type: string;
  actor: { id: string; type: string; version?: string | null; org?: string | null };
  payload: Record<string, unknown>;
  causal_links?: Array<{ type: string; target_decision_id: string }> | null;
}

export function exportLikeJava(tracer: Tracer, event: CanonicalEventJson): void {
  const span = tracer.startSpan(`${event.decision_type}:${event.event_type}`, {
    kind: SpanKind.INTERNAL,
    startTime: instantToHrTime(event.timestamp),
  });
  try {
    span.setAttribute('dt.schema_version', event.schema_version);
    span.setAttribute('dt.trace_id', event.trace_id);
    span.setAttribute('dt.decision_id', event.decision_id);
    span.setAttribute('dt.event_id', event.event_id);
    span.setAttribute('dt.event_type', event.event_type);
    span.setAttribute('dt.decision_type', event.decision_type);
    span.setAttribute('dt.tenant_id', event.tenant_id);
    span.setAttribute('dt.environment', event.environment);
    span.setAttribute('dt.actor.id', event.actor.id);
    span.setAttribute('dt.actor.type', event.actor.type);
    if (event.parent_decision_id != null) span.setAttribute('dt.parent_decision_id', event.parent_decision_id);
    if (event.actor.version != null) span.setAttribute('dt.actor.version', event.actor.version);
    if (event.actor.org != null) span.setAttribute('dt.actor.org', event.actor.org);
    span.setAttribute('dt.causal_link_count', event.causal_links == null ? 0 : event.causal_links.length);
    span.setAttribute('dt.payload_json', serializeLikeJava(toMapLikeJava(event)));
    if (event.event_type === 'decision.error') {
      const message = event.payload.message;
      span.setStatus({ code: SpanStatusCode.ERROR, message: message == null ? 'decision.error' : String(message) });
    }
  } finally {
    span.end();
  }
}

/** `DecisionTraceEvent.toMap()`: fixed key order; causal_links only when not null. */
function toMapLikeJava(event: CanonicalEventJson): Record<string, unknown> {
  const actor: Record<string, unknown> = { id: event.actor.id, type: event.actor.type };
  if (event.actor.version != null) actor.version = event.actor.version;
  if (event.actor.org != null) actor.org = event.actor.org;
  const map: Record<string, unknown> = {
    tenant_id: event.tenant_id,
    environment: event.environment,
    schema_version: event.schema_version,
    timestamp: event.timestamp,
    trace_id: event.trace_id,
    decision_id: event.decision_id,
    parent_decision_id: event.parent_decision_id,
    event_id: event.event_id,
    event_type: event.event_type,
    decision_type: event.decision_type,
    actor,
    payload: event.payload,
  };
  if (event.causal_links != null) {
    map.causal_links = event.causal_links.map((link) => ({ type: link.type, target_decision_id: link.target_decision_id }));
  }
  return map;
}

/** DecisionJsonSerializer: its own escaping (only \\ " \b \f \n \r \t), numbers as written. */
function serializeLikeJava(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `"${escapeLikeJava(value)}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(serializeLikeJava).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${entries.map(([key, item]) => `${serializeLikeJava(key)}:${serializeLikeJava(item)}`).join(',')}}`;
  }
  throw new Error(`Unsupported JSON value type: ${typeof value}`);
}

function escapeLikeJava(value: string): string {
  return value
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('\b', '\\b')
    .replaceAll('\f', '\\f')
    .replaceAll('\n', '\\n')
    .replaceAll('\r', '\\r')
    .replaceAll('\t', '\\t');
}

/** `Instant.parse` of an RFC 3339 UTC instant, to the nanosecond (Date would stop at ms). */
export function instantToHrTime(text: string): HrTime {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text);
  if (match === null) throw new Error(`not an RFC 3339 instant: ${text}`);
  const seconds = Date.parse(`${match[1]}${match[3]}`) / 1000;
  const nanos = Number((match[2] ?? '').padEnd(9, '0'));
  return [seconds, nanos];
}
