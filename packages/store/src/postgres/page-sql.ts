import type { NormalizedDecisionFilter, NormalizedDecisionQuery } from '../decision-query.js';
import { filterConditions, postgresEvidenceCondition, whereClause } from '../filter-sql.js';

export interface BoundSql {
  sql: string;
  params: unknown[];
}

/**
 * Builds one statement: `build` gets `bind` (adds a parameter, returns `$n`) and `where`, the
 * filter's WHERE clause with `extra` conditions.
 */
export function boundSql(
  filter: NormalizedDecisionFilter | null,
  build: (bind: (value: unknown) => string, where: (...extra: string[]) => string) => string,
): BoundSql {
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = (...extra: string[]) =>
    whereClause([...(filter === null ? [] : filterConditions(filter, { bind, evidence: postgresEvidenceCondition })), ...extra]);
  return { sql: build(bind, where), params };
}

/** One page of `queryDecisions` in listing order, one row more than the limit (to know whether more follow). */
export function decisionPageSql(query: NormalizedDecisionQuery): BoundSql {
  return boundSql(null, (bind) => {
    const conditions = filterConditions(query, { bind, evidence: postgresEvidenceCondition });
    if (query.after !== null) {
      // A row comparison, so that the (…, sort_time, id) indexes serve it as one range.
      conditions.push(`(sort_time, id, tenant_id) < (${bind(query.after.time)}, ${bind(query.after.id)}, ${bind(query.after.tenant)})`);
    }
    return (
      'SELECT sort_time, id, tenant_id, record FROM decisions' +
      whereClause(conditions) +
      ` ORDER BY sort_time DESC, id DESC, tenant_id DESC LIMIT ${bind(query.limit + 1)}`
    );
  });
}
