import { createHash } from 'node:crypto';
import type { AnyValue } from '@opentelemetry/api-logs';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { DEFAULT_TENANT } from '@decision-trace/model';
import type { AlertOutcomeCount, DecisionAlert } from '@decision-trace/store';

/**
 * The decision_anomaly connector's alert record, as its README states the contract: event name
 * `decision.anomaly`, the evidence in `decision.*` and `anomaly.*` attributes. Other log records
 * are not alerts.
 */
export const ALERT_EVENT_NAME = 'decision.anomaly';

/**
 * The alert a log record carries, or null when it is no alert (another event name, or the
 * attributes an alert needs are missing). The id is a digest of the record's time, body and
 * attributes, so the same record delivered again (a retried export) is the same alert.
 */
export function alertOfRecord(record: ReadableLogRecord): DecisionAlert | null {
  if (record.eventName !== ALERT_EVENT_NAME) return null;
  const attributes = record.attributes;
  const type = text(attributes['decision.type']);
  const kind = text(attributes['anomaly.signal']);
  if (type === null || type === '' || kind === null || kind === '') return null;
  const atMillis = record.hrTime[0] * 1000 + Math.floor(record.hrTime[1] / 1_000_000);
  const exampleIds = attributes['anomaly.example_decision_ids'];
  return {
    id: alertId(record),
    tenant: text(attributes['decision.tenant']) ?? DEFAULT_TENANT,
    at: new Date(atMillis).toISOString(),
    type,
    version: text(attributes['decision.version']),
    kind,
    subject: text(attributes['anomaly.subject']),
    direction: text(attributes['anomaly.direction']),
    message: typeof record.body === 'string' ? record.body : '',
    baseline: {
      version: text(attributes['anomaly.baseline.version']),
      count: number(attributes['anomaly.baseline.count']) ?? 0,
      rate: number(attributes['anomaly.baseline.rate']),
      mean: number(attributes['anomaly.baseline.mean']),
    },
    current: {
      version: null,
      count: number(attributes['anomaly.current.count']) ?? 0,
      rate: number(attributes['anomaly.current.rate']),
      mean: number(attributes['anomaly.current.mean']),
    },
    p_value: number(attributes['anomaly.p_value']),
    example_decision_ids: Array.isArray(exampleIds) ? exampleIds.filter((id): id is string => typeof id === 'string') : [],
    statistic: number(attributes['anomaly.statistic']),
    degrees_of_freedom: number(attributes['anomaly.degrees_of_freedom']),
    outcome_counts: outcomeCounts(attributes['anomaly.outcomes'], attributes['anomaly.baseline.outcome_counts'], attributes['anomaly.current.outcome_counts']),
  };
}

/** An outcome_mix alert's parallel arrays (outcome i has baseline count i and current count i) as one list; null when absent or not parallel. */
function outcomeCounts(outcomes: AnyValue | undefined, baseline: AnyValue | undefined, current: AnyValue | undefined): AlertOutcomeCount[] | null {
  if (!Array.isArray(outcomes) || !Array.isArray(baseline) || !Array.isArray(current)) return null;
  if (outcomes.length !== baseline.length || outcomes.length !== current.length) return null;
  const counts: AlertOutcomeCount[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i];
    const before = number(baseline[i]);
    const now = number(current[i]);
    if (typeof outcome !== 'string' || before === null || now === null) return null;
    counts.push({ outcome, baseline: before, current: now });
  }
  return counts;
}

function alertId(record: ReadableLogRecord): string {
  const attributes = Object.keys(record.attributes)
    .sort()
    .map((key) => [key, record.attributes[key]]);
  const identity = JSON.stringify([record.hrTime, record.eventName, record.body ?? null, attributes]);
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

function text(value: AnyValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function number(value: AnyValue | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
