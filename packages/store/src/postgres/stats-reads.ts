import type { PostgresStoreHandle } from './store-handle.js';
import { outcomeCountsSql, statsSql } from './stats-sql.js';
import { normalizeDecisionFilter } from '../decision-query.js';
import { compareNullable, decisionStats, type StatsAggregates } from '../decision-stats.js';
import { normalizeStatsQuery } from '../stats-query.js';
import { StatsAccumulator } from '../stats-rows.js';
import { addRollupGroup, statsPlan } from '../stats-rollup.js';
import type { DecisionFilter, DecisionStats, OutcomeCount, StatsQuery } from '../store.js';

/** The PostgreSQL store's aggregates over filtered decisions, summed by the server (stats-sql.ts) from rows and roll-ups. */
export class PostgresStatsReads {
  readonly #handle: PostgresStoreHandle;

  constructor(handle: PostgresStoreHandle) {
    this.#handle = handle;
  }

  async stats(query: StatsQuery): Promise<DecisionStats> {
    this.#handle.assertOpen();
    const normalized = normalizeStatsQuery(query, new Date());
    const { sql, params } = statsSql(normalized, statsPlan(normalized));
    const { rows } = await this.#handle.pool.query<{
      groups: StatsAggregates['groups'];
      bins: StatsAggregates['confidenceBins'];
      tokens: StatsAggregates['token_usage'];
      rollup_groups: Array<[hour: number, typeKey: string, versionKey: string, outcomeKey: string, count: number, weightedCount: number]>;
      rollup_sums: number[];
      rollup_durations: Buffer | null;
      durations: Array<[bucket: number, count: number]>;
    }>(sql, params);
    const { groups, bins, tokens, rollup_groups, rollup_sums, rollup_durations, durations } = rows[0]!;
    const accumulator = new StatsAccumulator(normalized.filter.sinceMicros, normalized.bucketMs * 1000);
    for (const group of groups) accumulator.addGroup(group.bucket, group.type, group.version, group.outcome, group.count, group.weighted_count);
    for (const { bin, count } of bins) accumulator.addBin(bin, count);
    accumulator.addTokens(tokens.decisions, tokens.input_tokens, tokens.output_tokens, tokens.total_tokens);
    for (const [hour, typeKey, versionKey, outcomeKey, count, weightedCount] of rollup_groups) {
      addRollupGroup(accumulator, hour, typeKey, versionKey, outcomeKey, count, weightedCount);
    }
    const [tokenDecisions, inputTokens, outputTokens, totalTokens, ...binSums] = rollup_sums;
    accumulator.addTokens(tokenDecisions!, inputTokens!, outputTokens!, totalTokens!);
    binSums.forEach((count, bin) => count !== 0 && accumulator.addBin(bin, count));
    accumulator.durations.addBytes(rollup_durations);
    for (const [bucket, count] of durations) accumulator.durations.addBucket(bucket, count);
    return decisionStats(normalized, accumulator.aggregates());
  }

  async outcomeCounts(filter: DecisionFilter): Promise<OutcomeCount[]> {
    this.#handle.assertOpen();
    const { sql, params } = outcomeCountsSql(normalizeDecisionFilter(filter));
    const { rows } = await this.#handle.pool.query<OutcomeCount>(sql, params);
    return rows.sort((a, b) => compareNullable(a.outcome, b.outcome));
  }
}
