import type { RecordFlag } from './record.js';

/**
 * A decision event: the unit of the ledger. Every input (span attributes, span events, the
 * Decision Trace SDK's `dt.*` spans, canonical events posted to the API) becomes events of this
 * shape; a decision record is the fold of its events (see record.ts / reduce.ts).
 */
export const CANONICAL_EVENT_TYPES = [
  'decision.start',
  'evidence',
  'policy_check',
  'action',
  'approval',
  'outcome',
  'error',
  'evaluation',
] as const;

/**
 * `decision.observed` is ours: a whole decision seen at once (inputs A and B of the design,
 * one span or one span event carrying `decision.*` keys). It keeps one ledger row per
 * observed decision instead of exploding a span into many synthetic events.
 *
 * `decision.linked` is ours too: the decision's parent became known after the decision itself
 * was stored (its ancestor span arrived later); it carries only `parent_decision_id`.
 */
export type DecisionEventType = (typeof CANONICAL_EVENT_TYPES)[number] | 'decision.observed' | 'decision.linked';

export const CAUSAL_LINK_TYPES = ['depends_on', 'triggered_by', 'uses_evidence_from', 'compensates'] as const;
export type CausalLinkType = (typeof CAUSAL_LINK_TYPES)[number];

export interface CausalLink {
  type: CausalLinkType;
  target_decision_id: string;
}

export type ActorType = 'human' | 'system' | 'agent' | string;

export interface Actor {
  id: string | null;
  type: ActorType | null;
  version: string | null;
  org: string | null;
}

export type EventSource = 'otlp.span' | 'otlp.span_event' | 'otlp.dt_span' | 'api.events';

export interface DecisionEvent {
  schema_version: string;
  /** Unique per tenant; redelivery of the same event id changes nothing. */
  event_id: string;
  event_type: DecisionEventType;
  decision_id: string;
  /** As given, possibly with a version suffix (`refund.approve.v2`). */
  decision_type: string | null;
  parent_decision_id: string | null;
  trace_id: string | null;
  span_id: string | null;
  tenant_id: string;
  environment: string | null;
  /** RFC 3339 with millisecond precision. */
  timestamp: string;
  actor: Actor | null;
  payload: Record<string, unknown>;
  causal_links: CausalLink[];
  source: EventSource;
  /** `service.name` of the resource that produced the event, when it came from OTLP. */
  service_name?: string | null;
  /** Problems found while converting the input (malformed JSON, out-of-range confidence). */
  flags?: RecordFlag[];
}

export const DEFAULT_TENANT = 'default';
export const SCHEMA_VERSION = '1.0';
