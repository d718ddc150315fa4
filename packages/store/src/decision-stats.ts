import type { DurationSketch } from './duration-sketch.js';
import type { NormalizedStatsQuery } from './stats-query.js';
import type { ConfidenceBin, DecisionStats, StatsOutcome, StatsSeriesPoint, TokenUsageTotals } from './store.js';

/**
 * What a backend aggregates for `stats` (from raw rows and hourly roll-ups, stats-accumulator.ts);
 * decisionStats turns it into the reply. Both backends compute the same groups, so ordering,
 * rates and shapes are decided here, once.
 */
export interface StatsAggregates {
  /** One row per (bucket index from `since`, type, version, outcome). */
  groups: ReadonlyArray<{
    bucket: number;
    type: string | null;
    version: string | null;
    outcome: string | null;
    count: number;
    weighted_count: number;
  }>;
  /** One row per confidence bin index 0..9 that has records. */
  confidenceBins: ReadonlyArray<{ bin: number; count: number }>;
  /** The durations' mergeable summary (duration-sketch.ts), whose percentiles are the reply's. */
  durations: DurationSketch;
  token_usage: TokenUsageTotals;
}

export const CONFIDENCE_BINS = 10;

/** The histogram bin of a confidence, null outside 0..1 (1 falls in the last bin). */
export function confidenceBin(confidence: number | null): number | null {
  if (confidence === null || !(confidence >= 0 && confidence <= 1)) return null;
  return Math.min(Math.trunc(confidence * CONFIDENCE_BINS), CONFIDENCE_BINS - 1);
}

export function decisionStats(query: NormalizedStatsQuery, aggregates: StatsAggregates): DecisionStats {
  const { sinceMicros, untilMicros } = query.filter;
  const bucketMicros = query.bucketMs * 1000;
  const groups = [...aggregates.groups].sort(
    (x, y) => x.bucket - y.bucket || compareNullable(x.type, y.type) || compareNullable(x.version, y.version) || compareNullable(x.outcome, y.outcome),
  );

  const seriesTotals = new Map<string, number>();
  const outcomes = new Map<string, StatsOutcome>();
  const outcomeTotals = new Map<string, number>();
  const total = { count: 0, weighted_count: 0 };
  for (const group of groups) {
    const kind = JSON.stringify([group.type, group.version]);
    const bucketKey = JSON.stringify([group.bucket, group.type, group.version]);
    seriesTotals.set(bucketKey, (seriesTotals.get(bucketKey) ?? 0) + group.weighted_count);
    outcomeTotals.set(kind, (outcomeTotals.get(kind) ?? 0) + group.weighted_count);
    const outcomeKey = JSON.stringify([group.type, group.version, group.outcome]);
    const outcome = outcomes.get(outcomeKey) ?? { type: group.type, version: group.version, outcome: group.outcome, count: 0, weighted_count: 0, rate: 0 };
    outcome.count += group.count;
    outcome.weighted_count += group.weighted_count;
    outcomes.set(outcomeKey, outcome);
    total.count += group.count;
    total.weighted_count += group.weighted_count;
  }

  const series: StatsSeriesPoint[] = groups.map((group) => ({
    bucket_start: microsToRfc3339(sinceMicros + group.bucket * bucketMicros),
    type: group.type,
    version: group.version,
    outcome: group.outcome,
    count: group.count,
    weighted_count: group.weighted_count,
    rate: share(group.weighted_count, seriesTotals.get(JSON.stringify([group.bucket, group.type, group.version]))),
  }));
  const by_outcome = [...outcomes.values()]
    .sort((x, y) => compareNullable(x.type, y.type) || compareNullable(x.version, y.version) || compareNullable(x.outcome, y.outcome))
    .map((outcome) => ({ ...outcome, rate: share(outcome.weighted_count, outcomeTotals.get(JSON.stringify([outcome.type, outcome.version]))) }));

  return {
    since: microsToRfc3339(sinceMicros),
    until: microsToRfc3339(untilMicros),
    bucket_ms: query.bucketMs,
    total,
    series,
    by_outcome,
    confidence_histogram: confidenceHistogram(aggregates.confidenceBins),
    duration_ms: aggregates.durations.percentiles(),
    token_usage: aggregates.token_usage,
  };
}

function confidenceHistogram(bins: StatsAggregates['confidenceBins']): ConfidenceBin[] {
  const counts = new Array<number>(CONFIDENCE_BINS).fill(0);
  for (const { bin, count } of bins) counts[Math.min(Math.max(bin, 0), CONFIDENCE_BINS - 1)]! += count;
  return counts.map((count, i) => ({ lower: i / CONFIDENCE_BINS, upper: (i + 1) / CONFIDENCE_BINS, count }));
}

function share(part: number, whole: number | undefined): number {
  return whole === undefined || whole === 0 ? 0 : part / whole;
}

/** Nulls first, then by UTF-16 code units (the "C" order both backends sort text in). */
export function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

export function microsToRfc3339(micros: number): string {
  const millis = Math.floor(micros / 1000);
  const iso = new Date(millis).toISOString();
  const subMillis = micros - millis * 1000;
  return subMillis === 0 ? iso : `${iso.slice(0, -1)}${String(subMillis).padStart(3, '0')}Z`;
}
