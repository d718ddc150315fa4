import { applyEvent, LruMap, schemaEventType, type DecisionRecord, type ReadonlyDecisionEvent } from '@decision-trace/model';

export type Agreement = 'agree' | 'disagree' | 'unknown';

export interface EvaluationSeen {
  /** The decision the evaluation judges, when it is still tracked. */
  target: DecisionRecord | undefined;
  /** The decision that carries the evaluation event (often the target itself). */
  carrier: DecisionRecord;
  agreement: Agreement;
}

export interface Observed {
  /** Set when this event gave the decision its outcome (or its error): it is counted now, once. */
  completed?: DecisionRecord;
  evaluation?: EvaluationSeen;
}

interface Tracked {
  record: DecisionRecord;
  counted: boolean;
}

/** Payload keys of an evaluation that say outright whether it agrees. */
const VERDICT_KEYS = ['agrees', 'agreed', 'correct'];
/** Payload keys of an evaluation naming the outcome it expected, compared with the decision's. */
const EXPECTED_OUTCOME_KEYS = ['expected_outcome', 'outcome'];

/**
 * Folds each decision's events with the model's reducer (`applyEvent`, the same fold the store
 * does), so a decision whose events arrive in several requests is counted once, when its
 * outcome (or error) becomes known, with every dimension known by then. Bounded: the least
 * recently touched decisions are forgotten first. Pure state, no I/O.
 */
export class DecisionTracker {
  /** Least recently touched first; `set` on every event makes a decision the most recent. */
  private readonly tracked: LruMap<string, Tracked>;

  constructor(capacity: number) {
    this.tracked = new LruMap(capacity);
  }

  get size(): number {
    return this.tracked.size;
  }

  observe(event: ReadonlyDecisionEvent): Observed {
    const key = keyOf(event.tenant_id, event.decision_id);
    const entry = this.tracked.peek(key);
    const record = applyEvent(entry?.record, event);
    const now: Tracked = { record, counted: entry?.counted ?? false };
    this.tracked.set(key, now);

    const observed: Observed = {};
    if (!now.counted && record.status !== 'pending') {
      now.counted = true;
      observed.completed = record;
    }
    if (schemaEventType(event.event_type) === 'decision.evaluation') {
      const payload = event.payload ?? {};
      const targetId = typeof payload.target_decision_id === 'string' && payload.target_decision_id !== '' ? payload.target_decision_id : event.decision_id;
      const target = this.tracked.peek(keyOf(event.tenant_id, targetId))?.record;
      observed.evaluation = { target, carrier: record, agreement: agreementOf(payload, target) };
    }
    return observed;
  }

  /** The decision as folded so far, if tracked. */
  get(tenant: string, decisionId: string): DecisionRecord | undefined {
    return this.tracked.peek(keyOf(tenant, decisionId))?.record;
  }
}

/**
 * Whether an evaluation agrees with the decision's outcome: an explicit verdict
 * (`agrees`, `agreed`, `correct`: true or false) wins; otherwise an expected outcome
 * (`expected_outcome`, `outcome`) is compared with the decision's; otherwise unknown.
 */
export function agreementOf(payload: Record<string, unknown>, target: DecisionRecord | undefined): Agreement {
  for (const key of VERDICT_KEYS) {
    if (typeof payload[key] === 'boolean') return payload[key] ? 'agree' : 'disagree';
  }
  const outcome = target?.outcome;
  if (outcome === null || outcome === undefined) return 'unknown';
  for (const key of EXPECTED_OUTCOME_KEYS) {
    if (typeof payload[key] === 'string' && payload[key] !== '') return payload[key] === outcome ? 'agree' : 'disagree';
  }
  return 'unknown';
}

function keyOf(tenant: string, decisionId: string): string {
  return `${tenant}\u0000${decisionId}`;
}
