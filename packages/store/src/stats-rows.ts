import { CONFIDENCE_BINS, confidenceBin, type StatsAggregates } from './decision-stats.js';
import { DurationSketch } from './duration-sketch.js';

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
 * The aggregates of `stats` built up from any mix of parts: raw rows one by one (addRow, where
 * rows are cheap to read: SQLite in process), groups, bins, duration buckets and token sums
 * already summed (SQL aggregates, hourly roll-ups). Every part counts each decision the same way,
 * so the reply does not depend on which parts served it.
 */
export class StatsAccumulator {
  readonly #sinceMicros: number;
  readonly #bucketMicros: number;
  readonly #groups = new Map<string, StatsAggregates['groups'][number]>();
  readonly #bins = new Array<number>(CONFIDENCE_BINS).fill(0);
  readonly durations = new DurationSketch();
  readonly #tokens = { decisions: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0 };

  constructor(sinceMicros: number, bucketMicros: number) {
    this.#sinceMicros = sinceMicros;
    this.#bucketMicros = bucketMicros;
  }

  /** The bucket (from `since`) of an instant in epoch microseconds. */
  bucketOf(micros: number): number {
    return Math.floor((micros - this.#sinceMicros) / this.#bucketMicros);
  }

  addRow(row: StatsRow): void {
    const [sortTime, type, version, outcome, adjustedCount, confidence, durationMs, input, output, total] = row;
    this.addGroup(this.bucketOf(sortTime), type, version, outcome, 1, adjustedCount ?? 1);
    const bin = confidenceBin(confidence);
    if (bin !== null) this.#bins[bin]! += 1;
    if (durationMs !== null) this.durations.add(durationMs);
    if (total !== null) this.addTokens(1, input ?? 0, output ?? 0, total);
  }

  addRows(rows: Iterable<StatsRow>): void {
    for (const row of rows) this.addRow(row);
  }

  addGroup(bucket: number, type: string | null, version: string | null, outcome: string | null, count: number, weightedCount: number): void {
    const key = JSON.stringify([bucket, type, version, outcome]);
    const group = this.#groups.get(key);
    if (group === undefined) this.#groups.set(key, { bucket, type, version, outcome, count, weighted_count: weightedCount });
    else {
      group.count += count;
      group.weighted_count += weightedCount;
    }
  }

  addBin(bin: number, count: number): void {
    this.#bins[Math.min(Math.max(bin, 0), CONFIDENCE_BINS - 1)]! += count;
  }

  addTokens(decisions: number, input: number, output: number, total: number): void {
    this.#tokens.decisions += decisions;
    this.#tokens.input_tokens += input;
    this.#tokens.output_tokens += output;
    this.#tokens.total_tokens += total;
  }

  aggregates(): StatsAggregates {
    return {
      groups: [...this.#groups.values()].filter((group) => group.count !== 0),
      confidenceBins: this.#bins.flatMap((count, bin) => (count === 0 ? [] : [{ bin, count }])),
      durations: this.durations,
      token_usage: { ...this.#tokens },
    };
  }
}
