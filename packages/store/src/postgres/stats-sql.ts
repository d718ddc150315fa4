import type { NormalizedDecisionFilter } from '../decision-query.js';
import type { NormalizedStatsQuery } from '../stats-query.js';
import { boundSql, type BoundSql } from './page-sql.js';

/**
 * Every aggregate of `stats` in one statement: the window's rows are read once (a materialised
 * CTE), in one snapshot and one round trip; each aggregate comes back as one JSON column.
 * Percentiles are percentile_cont's (linear interpolation), as durationPercentiles computes them.
 */
export function statsSql(query: NormalizedStatsQuery): BoundSql {
  return boundSql(
    query.filter,
    (bind, where) => `
      WITH w AS MATERIALIZED (
        SELECT sort_time, type, version, outcome, adjusted_count, confidence, duration_ms, input_tokens, output_tokens, total_tokens
        FROM decisions${where()}
      )
      SELECT
        (SELECT coalesce(json_agg(g), '[]') FROM (
           SELECT (sort_time - ${bind(query.filter.sinceMicros)}::bigint) / ${bind(query.bucketMs * 1000)}::bigint AS bucket,
             type, version, outcome, count(*) AS count, sum(coalesce(adjusted_count, 1)) AS weighted_count
           FROM w GROUP BY 1, 2, 3, 4) g) AS groups,
        (SELECT coalesce(json_agg(h), '[]') FROM (
           SELECT least(floor(confidence * 10)::integer, 9) AS bin, count(*) AS count
           FROM w WHERE confidence BETWEEN 0 AND 1 GROUP BY 1) h) AS bins,
        (SELECT json_build_object('count', count(*), 'max', max(duration_ms),
           'percentiles', percentile_cont(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY duration_ms))
         FROM w WHERE duration_ms IS NOT NULL) AS durations,
        (SELECT json_build_object('decisions', count(total_tokens), 'input_tokens', coalesce(sum(input_tokens), 0),
           'output_tokens', coalesce(sum(output_tokens), 0), 'total_tokens', coalesce(sum(total_tokens), 0))
         FROM w) AS tokens`,
  );
}

export function outcomeCountsSql(filter: NormalizedDecisionFilter): BoundSql {
  return boundSql(
    filter,
    (_bind, where) => `SELECT outcome, count(*) AS count, sum(coalesce(adjusted_count, 1)) AS weighted_count FROM decisions${where()} GROUP BY outcome`,
  );
}
