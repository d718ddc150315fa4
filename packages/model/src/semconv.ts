/**
 * The attribute names Decision Trace reads and writes on spans, span events and span links, in
 * one place (as OpenTelemetry JS keeps its semantic conventions in `semconv.ts`): the model reads
 * them, the SDK writes them, the samplers and the collector's processors look at them. Event type
 * names (`decision.start`, `decision.evidence`, …) are not attribute names: they are the typed
 * `DecisionEventType` in event.ts.
 */

// ---- inputs A and B: `decision.*` on a span, or on a span event named `decision` ----

/** A span event with this name is one decision (input B). */
export const SPAN_EVENT_DECISION = 'decision';
/** Every input A/B attribute starts so. */
export const DECISION_ATTRIBUTE_PREFIX = 'decision.';
/** Required: the decision's type; a `.vN` suffix is its version. */
export const ATTR_DECISION_TYPE = 'decision.type';
export const ATTR_DECISION_VERSION = 'decision.version';
export const ATTR_DECISION_ID = 'decision.id';
export const ATTR_DECISION_PARENT_ID = 'decision.parent_id';
export const ATTR_DECISION_OUTCOME = 'decision.outcome';
/** Read as the outcome when `decision.outcome` is absent. */
export const ATTR_DECISION_RESULT = 'decision.result';
export const ATTR_DECISION_CONFIDENCE = 'decision.confidence';
export const ATTR_DECISION_FACTORS = 'decision.factors';
export const ATTR_DECISION_ALTERNATIVES = 'decision.alternatives';
export const ATTR_DECISION_TENANT_ID = 'decision.tenant_id';
export const ATTR_DECISION_ENVIRONMENT = 'decision.environment';
export const ATTR_DECISION_ACTOR_ID = 'decision.actor.id';
export const ATTR_DECISION_ACTOR_TYPE = 'decision.actor.type';
export const ATTR_DECISION_ACTOR_VERSION = 'decision.actor.version';
export const ATTR_DECISION_ACTOR_ORG = 'decision.actor.org';
/** All evidence at once, as a key-value list. */
export const ATTR_DECISION_EVIDENCE = 'decision.evidence';
/** `decision.evidence.<key>`: one piece of evidence. */
export const ATTR_DECISION_EVIDENCE_PREFIX = 'decision.evidence.';
/** `decision.policy.<name>`: one policy check's result. */
export const ATTR_DECISION_POLICY_PREFIX = 'decision.policy.';
/** Causal links: a JSON array of `{type, target_decision_id}`. */
export const ATTR_DECISION_LINKS = 'decision.links';
/** On an OTel span link of a decision span: the causal link's type and target decision. */
export const ATTR_DECISION_LINK_TYPE = 'decision.link.type';
export const ATTR_DECISION_LINK_TARGET_ID = 'decision.link.target_id';
/** Set by the SDK's linking helpers on spans and log records that are not the decision's own. */
export const ATTR_DECISION_TRACE_ID = 'decision.trace_id';
/** Not read by the model; kept by redaction's allow-list (DECISION_STRUCTURE_KEYS) as structure. */
export const ATTR_DECISION_START_TIME = 'decision.start_time';
export const ATTR_DECISION_END_TIME = 'decision.end_time';

// ---- input C: the Decision Trace SDKs' OpenTelemetry projection, `dt.*` ----

/** Every projection attribute starts so. */
export const DT_ATTRIBUTE_PREFIX = 'dt.';
/** A span with this attribute is read as input C only. */
export const ATTR_DT_DECISION_ID = 'dt.decision_id';
export const ATTR_DT_DECISION_TYPE = 'dt.decision_type';
/** Set: one span per canonical event of that type; absent: one span per decision. */
export const ATTR_DT_EVENT_TYPE = 'dt.event_type';
export const ATTR_DT_EVENT_ID = 'dt.event_id';
export const ATTR_DT_SCHEMA_VERSION = 'dt.schema_version';
export const ATTR_DT_PARENT_DECISION_ID = 'dt.parent_decision_id';
/** The SDK's trace id, which may differ from the span's. */
export const ATTR_DT_TRACE_ID = 'dt.trace_id';
export const ATTR_DT_TENANT_ID = 'dt.tenant_id';
export const ATTR_DT_ENVIRONMENT = 'dt.environment';
export const ATTR_DT_ACTOR_ID = 'dt.actor.id';
export const ATTR_DT_ACTOR_TYPE = 'dt.actor.type';
export const ATTR_DT_ACTOR_VERSION = 'dt.actor.version';
export const ATTR_DT_ACTOR_ORG = 'dt.actor.org';
export const ATTR_DT_OUTCOME = 'dt.outcome';
/** `dt.evidence.<key>`, `dt.policy.<name>`: the Python SDK's evidence and policy checks. */
export const ATTR_DT_EVIDENCE_PREFIX = 'dt.evidence.';
export const ATTR_DT_POLICY_PREFIX = 'dt.policy.';
/** `dt.payload.<field>`: one payload field, structured values as JSON text. */
export const ATTR_DT_PAYLOAD_PREFIX = 'dt.payload.';
/** The whole canonical event as JSON (the Java exporter). */
export const ATTR_DT_PAYLOAD_JSON = 'dt.payload_json';
/** Causal links: a JSON array of `{type, target_decision_id}`. */
export const ATTR_DT_CAUSAL_LINKS = 'dt.causal_links';

// ---- written by this collector ----

/**
 * On a resource, a span or a span event: what the redaction processor changed there, as a JSON
 * array of `{field, action}`; the decision extractor reads it into the events' `redactions`.
 */
export const ATTR_DT_REDACTIONS = 'dt.redactions';
