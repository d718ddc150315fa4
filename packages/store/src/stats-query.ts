import { normalizeDecisionFilter, type NormalizedDecisionFilter } from './decision-query.js';
import { InvalidQueryError } from './invalid-query-error.js';
import type { StatsQuery } from './store.js';

export const DEFAULT_STATS_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_STATS_BUCKET_MS = 3_600_000;
export const MAX_STATS_BUCKETS = 1000;

/** A StatsQuery checked, its window made explicit. */
export interface NormalizedStatsQuery {
  /** The filter, with sinceMicros and untilMicros always set. */
  filter: NormalizedDecisionFilter & { sinceMicros: number; untilMicros: number };
  bucketMs: number;
  /** Buckets in the window, the last one possibly cut short by `until`. */
  buckets: number;
}

/**
 * Defaults: until = now, since = until - 24 h, bucket 1 h. Throws InvalidQueryError for a
 * window that is empty or holds more than MAX_STATS_BUCKETS buckets.
 */
export function normalizeStatsQuery(query: StatsQuery, now: Date): NormalizedStatsQuery {
  const filter = normalizeDecisionFilter(query);
  const bucketMs = query.bucket_ms ?? DEFAULT_STATS_BUCKET_MS;
  if (typeof bucketMs !== 'number' || !Number.isSafeInteger(bucketMs) || bucketMs < 1) {
    throw new InvalidQueryError(`invalid bucket: ${String(bucketMs)}; expected a positive whole number of milliseconds`);
  }
  const untilMicros = filter.untilMicros ?? now.getTime() * 1000;
  const sinceMicros = filter.sinceMicros ?? untilMicros - DEFAULT_STATS_WINDOW_MS * 1000;
  if (sinceMicros >= untilMicros) throw new InvalidQueryError('invalid window: since must be before until');
  const buckets = Math.ceil((untilMicros - sinceMicros) / (bucketMs * 1000));
  if (buckets > MAX_STATS_BUCKETS) {
    throw new InvalidQueryError(
      `too many buckets: ${buckets} buckets of ${bucketMs} ms in the window; at most ${MAX_STATS_BUCKETS} (choose a larger bucket or a shorter window)`,
    );
  }
  return { filter: { ...filter, sinceMicros, untilMicros }, bucketMs, buckets };
}
