import {
  SAMPLING_EVENT_TYPE,
  SCHEMA_VERSION,
  type DecisionEvent,
  type DecisionRecord,
  type ReadonlyDecisionEvent,
  type TraceSampling,
} from '@decision-trace/model';

/**
 * How samplers tell the decision records what happened to their traces, since records are
 * never dropped: a head sampler knows at once and annotates the batch's decision events; a tail
 * sampler forwards them at once and later emits one `decision.sampling` event per decision.
 */

/** A copy of the event carrying `sampling` (events may be shared between pipelines), of the event's own type. */
export function withSampling<E extends ReadonlyDecisionEvent>(event: E, sampling: TraceSampling): E {
  return { ...event, sampling };
}

/** Deterministic, so a redelivered verdict is recognised as the same ledger event. */
export function samplingEventId(decisionId: string): string {
  return `sampling:${decisionId}`;
}

export function samplingEvent(record: DecisionRecord, sampling: TraceSampling, timestamp: string): DecisionEvent {
  return {
    schema_version: SCHEMA_VERSION,
    event_id: samplingEventId(record.id),
    event_type: SAMPLING_EVENT_TYPE,
    decision_id: record.id,
    // Type and envelope stay with the decision's own events; this one only reports the verdict.
    decision_type: null,
    parent_decision_id: null,
    trace_id: record.trace_id,
    span_id: null,
    tenant_id: record.tenant,
    environment: null,
    timestamp,
    actor: null,
    payload: {},
    causal_links: [],
    source: 'collector.sampling',
    sampling,
  };
}
