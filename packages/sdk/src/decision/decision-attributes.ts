import { ATTR_DT_PAYLOAD_PREFIX, type DecisionEventType } from '@decision-trace/model';

/**
 * The span attributes a decision made with this SDK carries: the Decision Trace SDK's `dt.*`
 * projection (docs/architecture.md §2 C), one span per decision, read by the same conversion in this
 * process (DecisionSpanProcessor) and in the collector. Structured values travel as JSON text
 * in `dt.payload.<field>`, which the conversion parses back, so evidence keeps its exact
 * shape and types (OTel attributes cannot hold objects). The names are the model's
 * (`@decision-trace/model`'s semconv.ts), under the names this SDK has always exported.
 */
export {
  ATTR_DT_DECISION_ID as DT_DECISION_ID,
  ATTR_DT_DECISION_TYPE as DT_DECISION_TYPE,
  ATTR_DT_EVENT_TYPE as DT_EVENT_TYPE,
  ATTR_DT_PARENT_DECISION_ID as DT_PARENT_DECISION_ID,
  ATTR_DT_TENANT_ID as DT_TENANT_ID,
  ATTR_DT_ENVIRONMENT as DT_ENVIRONMENT,
  ATTR_DT_ACTOR_ID as DT_ACTOR_ID,
  ATTR_DT_ACTOR_TYPE as DT_ACTOR_TYPE,
  ATTR_DT_ACTOR_VERSION as DT_ACTOR_VERSION,
  ATTR_DT_ACTOR_ORG as DT_ACTOR_ORG,
  ATTR_DT_OUTCOME as DT_OUTCOME,
  /** Causal links as a JSON array of {type, target_decision_id}; the model's conversion reads them. */
  ATTR_DT_CAUSAL_LINKS as DT_CAUSAL_LINKS,
} from '@decision-trace/model';

export const DT_EVIDENCE = `${ATTR_DT_PAYLOAD_PREFIX}evidence`;
export const DT_POLICY_CHECKS = `${ATTR_DT_PAYLOAD_PREFIX}policy_checks`;
export const DT_ACTIONS = `${ATTR_DT_PAYLOAD_PREFIX}actions`;
export const DT_APPROVALS = `${ATTR_DT_PAYLOAD_PREFIX}approvals`;
export const DT_CONFIDENCE = `${ATTR_DT_PAYLOAD_PREFIX}confidence`;
export const DT_ALTERNATIVES = `${ATTR_DT_PAYLOAD_PREFIX}alternatives`;
export const DT_FACTORS = `${ATTR_DT_PAYLOAD_PREFIX}factors`;
export const DT_ERROR = `${ATTR_DT_PAYLOAD_PREFIX}error`;

/** The whole decision travels as one event of this type; its fields are all payload fields. */
export const DECISION_EVENT_TYPE: DecisionEventType = 'decision.start';

/** Keys of the linking helpers (docs/architecture.md §2 A / B): what other spans say about a decision. */
export {
  ATTR_DECISION_ID as DECISION_ID,
  ATTR_DECISION_TRACE_ID as DECISION_TRACE_ID,
  ATTR_DECISION_TYPE as DECISION_TYPE,
  ATTR_DECISION_OUTCOME as DECISION_OUTCOME,
  ATTR_DECISION_PARENT_ID as DECISION_PARENT_ID,
  ATTR_DECISION_TENANT_ID as DECISION_TENANT_ID,
  ATTR_DECISION_ENVIRONMENT as DECISION_ENVIRONMENT,
  SPAN_EVENT_DECISION as DECISION_SPAN_EVENT,
} from '@decision-trace/model';
