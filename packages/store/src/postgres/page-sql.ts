import type { NormalizedDecisionFilter, NormalizedDecisionQuery } from '../decision-query.js';
import { boundSql as dialectBoundSql, decisionPageSql as dialectPageSql, POSTGRES_DIALECT, type BoundSql } from '../bound-sql.js';

export type { BoundSql };

/** `boundSql` with PostgreSQL's `$n` placeholders. */
export function boundSql(
  filter: NormalizedDecisionFilter | null,
  build: (bind: (value: unknown) => string, where: (...extra: string[]) => string) => string,
): BoundSql {
  return dialectBoundSql(POSTGRES_DIALECT, filter, build);
}

export function decisionPageSql(query: NormalizedDecisionQuery): BoundSql {
  return dialectPageSql(POSTGRES_DIALECT, query);
}
