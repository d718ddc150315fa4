import type { NormalizedDecisionFilter, NormalizedDecisionQuery } from './decision-query.js';
import { filterConditions, postgresEvidenceCondition, sqliteEvidenceCondition, sqliteTraceCondition, whereClause, type FilterDialect } from './filter-sql.js';

export interface BoundSql {
  sql: string;
  params: unknown[];
}

/** How a backend writes parameters and evidence conditions; the rest of the SQL is shared. */
export interface SqlDialect {
  /** The placeholder of the `n`th parameter (1-based). */
  placeholder(n: number): string;
  evidence: FilterDialect['evidence'];
  trace?: FilterDialect['trace'];
}

export const SQLITE_DIALECT: SqlDialect = { placeholder: () => '?', evidence: sqliteEvidenceCondition, trace: sqliteTraceCondition };
export const POSTGRES_DIALECT: SqlDialect = { placeholder: (n) => `$${n}`, evidence: postgresEvidenceCondition };

/**
 * Builds one statement: `build` gets `bind` (adds a parameter, returns its placeholder) and
 * `where`, the filter's WHERE clause with `extra` conditions; call them in the order their text
 * appears, since SQLite's placeholders are positional.
 */
export function boundSql(
  dialect: SqlDialect,
  filter: NormalizedDecisionFilter | null,
  build: (bind: (value: unknown) => string, where: (...extra: string[]) => string) => string,
): BoundSql {
  const params: unknown[] = [];
  const bind = (value: unknown): string => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  const where = (...extra: string[]) =>
    whereClause([...(filter === null ? [] : filterConditions(filter, { bind, evidence: dialect.evidence, trace: dialect.trace })), ...extra]);
  return { sql: build(bind, where), params };
}

/** One page of `queryDecisions` in listing order, one row more than the limit (to know whether more follow). */
export function decisionPageSql(dialect: SqlDialect, query: NormalizedDecisionQuery): BoundSql {
  return boundSql(dialect, null, (bind) => {
    const conditions = filterConditions(query, { bind, evidence: dialect.evidence, trace: dialect.trace });
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
