import type { SqliteStoreHandle } from './store-handle.js';
import { normalizeDecisionFilter, type NormalizedDecisionFilter } from '../decision-query.js';
import { compareNullable, decisionStats } from '../decision-stats.js';
import { aggregateStatsRows, STATS_ROW_COLUMNS, type StatsRow } from '../stats-rows.js';
import { boundSql as dialectBoundSql, SQLITE_DIALECT, type BoundSql } from '../bound-sql.js';
import { normalizeStatsQuery } from '../stats-query.js';
import type { DecisionFilter, DecisionStats, OutcomeCount, StatsQuery } from '../store.js';

/** The SQLite store's aggregates over filtered decisions: stats and outcome counts. */
export class SqliteStatsReads {
  readonly #handle: SqliteStoreHandle;

  constructor(handle: SqliteStoreHandle) {
    this.#handle = handle;
  }

  /**
   * The window's rows are read once (the reads, not the sums, cost here: each row is a lookup in
   * the table) and aggregated in one pass by aggregateStatsRows.
   */
  stats(query: StatsQuery): DecisionStats {
    this.#handle.assertOpen();
    const normalized = normalizeStatsQuery(query, new Date());
    const { sql, params } = boundSql(normalized.filter, (_bind, where) => `SELECT ${STATS_ROW_COLUMNS} FROM decisions${where()}`);
    const statement = this.#handle.prepared<StatsRow>(sql, 'raw');
    const aggregates = aggregateStatsRows(statement.iterate(...params), normalized.filter.sinceMicros, normalized.bucketMs * 1000);
    return decisionStats(normalized, aggregates);
  }

  outcomeCounts(filter: DecisionFilter): OutcomeCount[] {
    this.#handle.assertOpen();
    const { sql, params } = outcomeCountsSql(normalizeDecisionFilter(filter));
    const rows = this.#handle.prepared<OutcomeCount>(sql).all(...params);
    return rows.sort((a, b) => compareNullable(a.outcome, b.outcome));
  }
}

/** `boundSql` with SQLite's positional `?` placeholders. */
function boundSql(
  filter: NormalizedDecisionFilter | null,
  build: (bind: (value: unknown) => string, where: (...extra: string[]) => string) => string,
): BoundSql {
  return dialectBoundSql(SQLITE_DIALECT, filter, build);
}

function outcomeCountsSql(filter: NormalizedDecisionFilter): BoundSql {
  return boundSql(
    filter,
    (_bind, where) => `SELECT outcome, count(*) AS count, total(coalesce(adjusted_count, 1)) AS weighted_count FROM decisions${where()} GROUP BY outcome`,
  );
}
