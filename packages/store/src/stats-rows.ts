import { CONFIDENCE_BINS, durationPercentiles, type StatsAggregates } from './decision-stats.js';

/**
 * One decision as `stats` reads it, in this column order: sort_time, type, version, outcome,
 * adjusted_count, confidence, duration_ms, input_tokens, output_tokens, total_tokens.
 */
export type StatsRow = [
  sortTime: number,
  type: string | null,
  version: string | null,
  outcome: string | null,
  adjustedCount: number | null,
  confidence: number | null,
  durationMs: number | null,
  inputTokens: number | null,
  outputTokens: number | null,
  totalTokens: number | null,
];

export const STATS_ROW_COLUMNS = 'sort_time, type, version, outcome, adjusted_count, confidence, duration_ms, input_tokens, output_tokens, total_tokens';

/**
 * The aggregates of `stats` from the window's rows in one pass: a backend whose rows are cheap
 * to read (SQLite in process) reads them once instead of once per aggregate. Same groups, bins
 * and interpolated percentiles as the SQL aggregates of the PostgreSQL backend.
 */
export function aggregateStatsRows(rows: Iterable<StatsRow>, sinceMicros: number, bucketMicros: number): StatsAggregates {
  const groups = new Map<string, StatsAggregates['groups'][number]>();
  const bins = new Array<number>(CONFIDENCE_BINS).fill(0);
  const durations: number[] = [];
  const tokens = { decisions: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0 };
  for (const [sortTime, type, version, outcome, adjustedCount, confidence, durationMs, input, output, total] of rows) {
    const bucket = Math.floor((sortTime - sinceMicros) / bucketMicros);
    const key = JSON.stringify([bucket, type, version, outcome]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { bucket, type, version, outcome, count: 0, weighted_count: 0 }));
    group.count += 1;
    group.weighted_count += adjustedCount ?? 1;
    if (confidence !== null && confidence >= 0 && confidence <= 1) bins[Math.min(Math.trunc(confidence * 10), CONFIDENCE_BINS - 1)]! += 1;
    if (durationMs !== null) durations.push(durationMs);
    if (total !== null) {
      tokens.decisions += 1;
      tokens.input_tokens += input ?? 0;
      tokens.output_tokens += output ?? 0;
      tokens.total_tokens += total;
    }
  }
  return {
    groups: [...groups.values()],
    confidenceBins: bins.flatMap((count, bin) => (count === 0 ? [] : [{ bin, count }])),
    duration_ms: durationPercentiles(Float64Array.from(durations).sort()),
    token_usage: tokens,
  };
}
