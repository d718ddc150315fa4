import type { DurationPercentiles } from './store.js';

/**
 * The mergeable summary of decision durations behind `stats`' percentiles, the same on every
 * path (raw rows, hourly roll-ups, both backends), so an answer never depends on which path
 * served it.
 *
 * A duration falls in a log-linear bucket (DDSketch's linearly interpolated mapping, as
 * HdrHistogram buckets values): the power of two below it, split into SUB_BUCKETS equal parts.
 * The bucket's index comes from the float's exponent and the top bits of its mantissa, computed
 * with operations that are exact in IEEE double arithmetic, so JavaScript and PostgreSQL's SQL
 * (postgresDurationBucketSql) put every value in the same bucket. A bucket [L, U) is reported as
 * 2LU/(L+U), at most (U-L)/(U+L) ≤ 1/(2·SUB_BUCKETS+1) from any value in it: relative accuracy
 * DURATION_RELATIVE_ACCURACY (0.78 %). Counts add and subtract, so roll-ups merge and stay right
 * when decisions change or go.
 */
export const SUB_BUCKETS = 64;
export const DURATION_RELATIVE_ACCURACY = 1 / (2 * SUB_BUCKETS + 1);
/** Durations below this (2^-30 ms, about 1 picosecond) count as zero: below any timestamp's resolution. */
export const MIN_TRACKED_DURATION_MS = 2 ** -30;
/** The bucket of zero (and of durations below MIN_TRACKED_DURATION_MS), below every other index. */
export const ZERO_BUCKET = -1_000_000;

/** The bucket index of a duration in milliseconds (≥ 0). */
export function durationBucket(ms: number): number {
  if (!(ms >= MIN_TRACKED_DURATION_MS)) return ZERO_BUCKET;
  // floor(log2) can be off by one next to a power of two; the exact ratio corrects it.
  let exponent = Math.floor(Math.log2(ms));
  const ratio = ms / 2 ** exponent;
  if (ratio >= 2) exponent += 1;
  else if (ratio < 1) exponent -= 1;
  return exponent * SUB_BUCKETS + Math.floor((ms / 2 ** exponent - 1) * SUB_BUCKETS);
}

/** The value a bucket reports: within DURATION_RELATIVE_ACCURACY of every duration in it. */
export function bucketValue(index: number): number {
  if (index === ZERO_BUCKET) return 0;
  const exponent = Math.floor(index / SUB_BUCKETS);
  const sub = index - exponent * SUB_BUCKETS;
  const lower = 2 ** exponent * (1 + sub / SUB_BUCKETS);
  const upper = 2 ** exponent * (1 + (sub + 1) / SUB_BUCKETS);
  return (2 * lower * upper) / (lower + upper);
}

/**
 * durationBucket as a PostgreSQL expression over a double precision expression `ms` (not null,
 * ≥ 0), with the same exact steps; `ms` appears several times, so pass a column.
 */
export function postgresDurationBucketSql(ms: string): string {
  const tracked = `greatest(${ms}, ${MIN_TRACKED_DURATION_MS}::float8)`;
  const rough = `floor(ln(${tracked}) / ln(2::float8))`;
  const exponent = `(${rough} + CASE WHEN ${ms} / power(2::float8, ${rough}) >= 2 THEN 1 WHEN ${ms} / power(2::float8, ${rough}) < 1 THEN -1 ELSE 0 END)`;
  return `(CASE WHEN ${ms} < ${MIN_TRACKED_DURATION_MS}::float8 THEN ${ZERO_BUCKET}
    ELSE (${exponent} * ${SUB_BUCKETS} + floor((${ms} / power(2::float8, ${exponent}) - 1) * ${SUB_BUCKETS}))::integer END)`;
}

/** Counts per bucket index; counts may go negative while deltas are summed. */
export class DurationSketch {
  readonly counts = new Map<number, number>();

  add(ms: number, count = 1): void {
    this.addBucket(durationBucket(ms), count);
  }

  addBucket(index: number, count: number): void {
    const next = (this.counts.get(index) ?? 0) + count;
    if (next === 0) this.counts.delete(index);
    else this.counts.set(index, next);
  }

  /**
   * Adds a sketch as stored (toBytes); null or empty adds nothing. The stored form is the
   * buckets in ascending index order, each a big-endian int32 index then int32 count (what
   * PostgreSQL's int4send writes, so its backfill builds the same bytes in SQL).
   */
  addBytes(bytes: Uint8Array | null): void {
    if (bytes === null || bytes.length === 0) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = 0; offset + 8 <= bytes.byteLength; offset += 8) this.addBucket(view.getInt32(offset), view.getInt32(offset + 4));
  }

  get size(): number {
    return this.counts.size;
  }

  toBytes(): Buffer {
    const buckets = [...this.counts].sort((a, b) => a[0] - b[0]);
    const bytes = Buffer.allocUnsafe(buckets.length * 8);
    buckets.forEach(([index, count], i) => {
      bytes.writeInt32BE(index, i * 8);
      bytes.writeInt32BE(count, i * 8 + 4);
    });
    return bytes;
  }

  /**
   * A stored sketch (toBytes) with this one added, in the stored form: a merge of the sorted
   * records that copies the runs between this sketch's few buckets, so adding an append's
   * durations to an hour's sketch costs a copy of it rather than a decode.
   */
  mergedBytes(stored: Uint8Array | null): Buffer {
    if (stored === null || stored.byteLength === 0) return this.toBytes();
    const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
    const records = stored.byteLength >> 3;
    const out = Buffer.allocUnsafe(stored.byteLength + this.counts.size * 8);
    let written = 0;
    let from = 0;
    for (const [index, count] of [...this.counts].sort((a, b) => a[0] - b[0])) {
      let low = from;
      let high = records;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (view.getInt32(middle * 8) < index) low = middle + 1;
        else high = middle;
      }
      out.set(stored.subarray(from * 8, low * 8), written);
      written += (low - from) * 8;
      let total = count;
      if (low < records && view.getInt32(low * 8) === index) {
        total += view.getInt32(low * 8 + 4);
        low += 1;
      }
      if (total !== 0) {
        out.writeInt32BE(index, written);
        out.writeInt32BE(total, written + 4);
        written += 8;
      }
      from = low;
    }
    out.set(stored.subarray(from * 8), written);
    written += (records - from) * 8;
    return out.subarray(0, written);
  }

  /**
   * Percentiles interpolated between ranks, as PostgreSQL's percentile_cont does over the exact
   * values, but from the buckets' values: each within DURATION_RELATIVE_ACCURACY of the exact
   * answer (an interpolation of values each within that bound stays within it). `max` is the
   * highest bucket's value, within the same bound.
   */
  percentiles(): DurationPercentiles {
    const buckets = [...this.counts].filter(([, count]) => count > 0).sort((a, b) => a[0] - b[0]);
    let count = 0;
    for (const [, n] of buckets) count += n;
    if (count === 0) return { count: 0, p50: null, p90: null, p95: null, p99: null, max: null };
    const valueAtRank = (rank: number): number => {
      let seen = 0;
      for (const [index, n] of buckets) {
        seen += n;
        if (rank < seen) return bucketValue(index);
      }
      return bucketValue(buckets.at(-1)![0]);
    };
    const percentile = (fraction: number): number => {
      const position = fraction * (count - 1);
      const lower = Math.floor(position);
      const below = valueAtRank(lower);
      return below + (valueAtRank(Math.ceil(position)) - below) * (position - lower);
    };
    return { count, p50: percentile(0.5), p90: percentile(0.9), p95: percentile(0.95), p99: percentile(0.99), max: bucketValue(buckets.at(-1)![0]) };
  }
}
