import type { DeepReadonly } from './deep-readonly.js';
import type { ContractViolation, RecordFlag, RedactionEntry } from './decision-notes.js';

/**
 * A decision event: the unit of the ledger. Every input (span attributes, span events, the
 * Decision Trace SDK's `dt.*` spans, canonical events posted to the API) becomes events of this
 * shape; a decision record is the fold of its events (see record.ts / reduce.ts).
 */
export const CANONICAL_EVENT_TYPES = [
  'decision.start',
  'decision.evidence',
  'decision.policy_check',
  'decision.action',
  'decision.approval',
  'decision.outcome',
  'decision.error',
  'decision.evaluation',
] as const;
export type CanonicalEventType = (typeof CANONICAL_EVENT_TYPES)[number];

/**
 * The names our releases before schema 1.0's spelling used (an early version of the product design abbreviated
 * them). They stay accepted as aliases wherever an event type is read — `POST /v1/events`,
 * `lint --input`, `dt.event_type`, ledger rows written by those releases — and are always
 * answered with the schema name. Ledger rows keep the bytes they were hashed with, so a row
 * written with an alias still verifies; only reads translate it.
 */
export const LEGACY_EVENT_TYPE_ALIASES: Readonly<Record<string, CanonicalEventType>> = Object.freeze({
  evidence: 'decision.evidence',
  policy_check: 'decision.policy_check',
  action: 'decision.action',
  approval: 'decision.approval',
  outcome: 'decision.outcome',
  error: 'decision.error',
  evaluation: 'decision.evaluation',
});

/** The schema 1.0 name of an event type: aliases translated, every other name unchanged. */
export function schemaEventType<T extends string>(eventType: T): T | CanonicalEventType {
  return Object.hasOwn(LEGACY_EVENT_TYPE_ALIASES, eventType) ? LEGACY_EVENT_TYPE_ALIASES[eventType] : eventType;
}

/** The event with its type under the schema 1.0 name; the same object when it already is. */
export function withSchemaEventType<E extends { event_type: string }>(event: E): E {
  const name = schemaEventType(event.event_type);
  return name === event.event_type ? event : { ...event, event_type: name };
}

/**
 * `decision.observed` is ours: a whole decision seen at once (inputs A and B of the design,
 * one span or one span event carrying `decision.*` keys). It keeps one ledger row per
 * observed decision instead of exploding a span into many synthetic events.
 *
 * `decision.linked` is ours too: the decision's parent became known after the decision itself
 * was stored (its ancestor span arrived later); it carries only `parent_decision_id`.
 */
export type DecisionEventType = CanonicalEventType | 'decision.observed' | 'decision.linked' | 'decision.sampling';

/**
 * `decision.sampling` is ours too: a trace sampler's verdict on the trace of a decision whose
 * events were already forwarded (tail sampling decides after `decision_wait`). Its only content
 * is `sampling`; its event id is deterministic (`sampling:<decision id>`) so redelivery of the
 * verdict changes nothing.
 */
export const SAMPLING_EVENT_TYPE = 'decision.sampling';

/**
 * The event types of ours that `POST /v1/events` accepts beside the canonical ones, so a
 * collector or SDK can hand any decision event to a remote backend unchanged.
 */
export const EXTENSION_EVENT_TYPES = ['decision.observed', 'decision.linked', 'decision.sampling'] as const;

/** What a trace sampler concluded about the trace a decision belongs to. */
export interface TraceSampling {
  /** Whether the trace's spans were kept (forwarded) by the sampler. */
  trace_sampled: boolean;
  /** How many traces the kept one stands for (1/p under ratio sampling); absent when unknown. */
  adjusted_count?: number | null;
  /** The policy or sampler that decided, for explanations. */
  policy?: string | null;
}

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

export type EventSource = 'otlp.span' | 'otlp.span_event' | 'otlp.dt_span' | 'api.events' | 'collector.sampling';

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
  /**
   * RFC 3339 at the precision it was given: a canonical event's text as posted
   * (`2026-04-21T14:18:03.123456Z`), a span's unix nanoseconds with 3, 6 or 9 fraction digits.
   */
  timestamp: string;
  actor: Actor | null;
  payload: Record<string, unknown>;
  causal_links: CausalLink[];
  source: EventSource;
  /** `service.name` of the resource that produced the event, when it came from OTLP. */
  service_name?: string | null;
  /** Problems found while converting the input (malformed JSON, out-of-range confidence). */
  flags?: RecordFlag[];
  /** Set by trace samplers: records are never dropped, they note whether their trace was kept. */
  sampling?: TraceSampling;
  /** Set by the decision processor's registry: contract rules this event shows to be broken. */
  violations?: ContractViolation[];
  /** Fields of the event's source the redaction processor changed (never the values). */
  redactions?: RedactionEntry[];
}

/** A decision event as a part that only reads it sees it (events are shared like spans; see deep-readonly.ts). */
export type ReadonlyDecisionEvent = DeepReadonly<DecisionEvent>;

export const DEFAULT_TENANT = 'default';
export const SCHEMA_VERSION = '1.0';
