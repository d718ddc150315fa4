import type { PostgresStoreHandle } from './store-handle.js';
import { outcomeCountsSql, statsSql } from './stats-sql.js';
import { normalizeDecisionFilter } from '../decision-query.js';
import { compareNullable, decisionStats, type StatsAggregates } from '../decision-stats.js';
import { normalizeStatsQuery } from '../stats-query.js';
import type { DecisionFilter, DecisionStats, OutcomeCount, StatsQuery } from '../store.js';

/** The PostgreSQL store's aggregates over filtered decisions, computed by the server (stats-sql.ts). */
export class PostgresStatsReads {
  readonly #handle: PostgresStoreHandle;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  async stats(query: StatsQuery): Promise<DecisionStats> {
    this.#handle.assertOpen();
    const normalized = normalizeStatsQuery(query, new Date());
    const { sql, params } = statsSql(normalized);
    const { rows } = await this.#handle.pool.query<{
      groups: StatsAggregates['groups'];
      bins: StatsAggregates['confidenceBins'];
      durations: { count: number; max: number | null; percentiles: number[] | null };
      tokens: StatsAggregates['token_usage'];
    }>(sql, params);
    const { groups, bins, durations, tokens } = rows[0]!;
    const [p50 = null, p90 = null, p95 = null, p99 = null] = durations.percentiles ?? [];
    return decisionStats(normalized, {
      groups,
      confidenceBins: bins,
      duration_ms: { count: durations.count, p50, p90, p95, p99, max: durations.max },
      token_usage: tokens,
    });
  }

  async outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    this.#handle.assertOpen();
    const { sql, params } = outcomeCountsSql(normalizeDecisionFilter(filter));
    const { rows } = await this.#handle.pool.query<OutcomeCount>(sql, params);
    return rows.sort((a, b) => compareNullable(a.outcome, b.outcome));
  }
}
