import { stringifyJsonExact, type DecisionRecord } from '@decision-trace/model';
import { decisionSortTime } from './decision-order.js';

/**
 * A record as the `decisions` table's row, in column order: tenant_id, id, type, version, outcome,
 * status, start_time, end_time, sort_time, trace_id, parent_decision_id, environment,
 * service_name, actor_id, actor_type, confidence, event_count, updated_at, record (JSON), then
 * migration 5's columns for filters and stats: duration_ms, adjusted_count, has_violations (0/1),
 * input_tokens, output_tokens, total_tokens (null without token usage).
 * Both backends' tables have these columns in this order.
 */
export function decisionRowValues(record: DecisionRecord): unknown[] {
  return [
    record.tenant,
    record.id,
    record.type,
    record.version,
    record.outcome,
    record.status,
    record.start_time,
    record.end_time,
    decisionSortTime(record),
    record.trace_id,
    record.parent_decision_id,
    record.environment,
    record.service_name,
    record.actor?.id ?? null,
    record.actor?.type ?? null,
    record.confidence,
    record.event_count,
    record.updated_at,
    recordJson(record),
    record.duration_ms,
    record.adjusted_count,
    record.violations.length > 0 ? 1 : 0,
    record.token_usage?.input ?? null,
    record.token_usage?.output ?? null,
    record.token_usage?.total ?? null,
  ];
}

/** The `decisions` table's columns, in the order decisionRowValues gives their values. */
export const DECISION_COLUMNS = [
  'tenant_id',
  'id',
  'type',
  'version',
  'outcome',
  'status',
  'start_time',
  'end_time',
  'sort_time',
  'trace_id',
  'parent_decision_id',
  'environment',
  'service_name',
  'actor_id',
  'actor_type',
  'confidence',
  'event_count',
  'updated_at',
  'record',
  'duration_ms',
  'adjusted_count',
  'has_violations',
  'input_tokens',
  'output_tokens',
  'total_tokens',
] as const;

export const DECISION_ROW_WIDTH = DECISION_COLUMNS.length;

/** JSON of a record; integers beyond 2^53 (bigints) as exact numbers (exact-json.ts). */
export function recordJson(record: DecisionRecord): string {
  return stringifyJsonExact(record);
}
