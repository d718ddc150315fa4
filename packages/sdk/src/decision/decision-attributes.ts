/**
 * The span attributes a decision made with this SDK carries: the Decision Trace SDK's `dt.*`
 * projection (DESIGN.md §2 C), one span per decision, read by the same conversion in this
 * process (DecisionSpanProcessor) and in the collector. Structured values travel as JSON text
 * in `dt.payload.<field>`, which the conversion parses back, so evidence keeps its exact
 * shape and types (OTel attributes cannot hold objects).
 */
export const DT_DECISION_ID = 'dt.decision_id';
export const DT_DECISION_TYPE = 'dt.decision_type';
export const DT_EVENT_TYPE = 'dt.event_type';
export const DT_PARENT_DECISION_ID = 'dt.parent_decision_id';
export const DT_TENANT_ID = 'dt.tenant_id';
export const DT_ENVIRONMENT = 'dt.environment';
export const DT_ACTOR_ID = 'dt.actor.id';
export const DT_ACTOR_TYPE = 'dt.actor.type';
export const DT_ACTOR_VERSION = 'dt.actor.version';
export const DT_ACTOR_ORG = 'dt.actor.org';
export const DT_OUTCOME = 'dt.outcome';
export const DT_EVIDENCE = 'dt.payload.evidence';
export const DT_POLICY_CHECKS = 'dt.payload.policy_checks';
export const DT_ACTIONS = 'dt.payload.actions';
export const DT_APPROVALS = 'dt.payload.approvals';
export const DT_CONFIDENCE = 'dt.payload.confidence';
export const DT_ALTERNATIVES = 'dt.payload.alternatives';
export const DT_FACTORS = 'dt.payload.factors';
export const DT_ERROR = 'dt.payload.error';
/**
 * Causal links as a JSON array of {type, target_decision_id}. The model's span conversion does
 * not read this key yet; until it does, DecisionSpanProcessor adds the links to the converted
 * events itself (export/causal-links.ts).
 */
export const DT_CAUSAL_LINKS = 'dt.causal_links';

/** The whole decision travels as one event of this type; its fields are all payload fields. */
export const DECISION_EVENT_TYPE = 'decision.start';

/** Keys of the linking helpers (DESIGN.md §2 A / B): what other spans say about a decision. */
export const DECISION_ID = 'decision.id';
export const DECISION_TRACE_ID = 'decision.trace_id';
export const DECISION_TYPE = 'decision.type';
export const DECISION_OUTCOME = 'decision.outcome';
export const DECISION_PARENT_ID = 'decision.parent_id';
export const DECISION_TENANT_ID = 'decision.tenant_id';
export const DECISION_ENVIRONMENT = 'decision.environment';
export const DECISION_SPAN_EVENT = 'decision';
