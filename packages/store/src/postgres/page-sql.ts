import type { NormalizedDecisionQuery } from '../decision-query.js';

/** One page of `queryDecisions` in listing order, one row more than the limit (to know whether more follow). */
export function decisionPageSql(query: NormalizedDecisionQuery): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.tenant !== null) conditions.push(`tenant_id = ${bind(query.tenant)}`);
  if (query.type !== null) conditions.push(`type = ${bind(query.type)}`);
  for (const version of query.versions) conditions.push(`version = ${bind(version)}`);
  if (query.outcome !== null) conditions.push(`outcome = ${bind(query.outcome)}`);
  if (query.traceId !== null) conditions.push(`trace_id = ${bind(query.traceId)}`);
  if (query.sinceMicros !== null) conditions.push(`sort_time >= ${bind(query.sinceMicros)}`);
  if (query.untilMicros !== null) conditions.push(`sort_time < ${bind(query.untilMicros)}`);
  if (query.after !== null) {
    // A row comparison, so that the (…, sort_time, id) indexes serve it as one range.
    conditions.push(`(sort_time, id, tenant_id) < (${bind(query.after.time)}, ${bind(query.after.id)}, ${bind(query.after.tenant)})`);
  }
  const sql =
    'SELECT sort_time, id, tenant_id, record FROM decisions' +
    (conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY sort_time DESC, id DESC, tenant_id DESC LIMIT ${bind(query.limit + 1)}`;
  return { sql, params };
}
