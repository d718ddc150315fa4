import type { SqliteStoreHandle } from './store-handle.js';
import { normalizeDecisionFilter, type NormalizedDecisionFilter } from '../decision-query.js';
import { compareNullable, decisionStats } from '../decision-stats.js';
import { StatsAccumulator, STATS_ROW_COLUMNS, type StatsRow } from '../stats-rows.js';
import { addRollupRows, ROLLUP_ROW_COLUMNS, statsPlan, type RollupRow } from '../stats-rollup.js';
import { rollupConditions } from '../rollup-sql.js';
import { whereClause } from '../filter-sql.js';
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
   * The window's whole hours from the hourly roll-ups where they can serve it (statsPlan), the
   * rest from the decisions' rows, read once through the covering stats index; both in one read
   * transaction (one snapshot), summed by one StatsAccumulator.
   */
  stats(query: StatsQuery): DecisionStats {
    this.#handle.assertOpen();
    const normalized = normalizeStatsQuery(query, new Date());
    const { filter } = normalized;
    const plan = statsPlan(normalized);
    const accumulator = new StatsAccumulator(filter.sinceMicros, normalized.bucketMs * 1000);
    this.#handle.db.transaction(() => {
      if (plan.raw !== null) {
        const { sql, params } = boundSql(
          { ...filter, sinceMicros: plan.raw.from, untilMicros: plan.raw.to },
          (_bind, where) => `SELECT ${STATS_ROW_COLUMNS} FROM decisions${where()}`,
        );
        accumulator.addRows(this.#handle.prepared<StatsRow>(sql, 'raw').iterate(...params));
      }
      if (plan.rollups !== null) {
        const hours = plan.rollups;
        const rows = boundSql(null, (bind) => `SELECT ${ROLLUP_ROW_COLUMNS} FROM decision_rollups${whereClause(rollupConditions(filter, hours, bind))}`);
        addRollupRows(accumulator, this.#handle.prepared<RollupRow>(rows.sql, 'raw').iterate(...rows.params));
      }
    })();
    return decisionStats(normalized, accumulator.aggregates());
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
