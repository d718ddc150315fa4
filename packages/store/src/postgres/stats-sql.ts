import type { NormalizedDecisionFilter } from '../decision-query.js';
import { postgresDurationBucketSql } from '../duration-sketch.js';
import { whereClause } from '../filter-sql.js';
import { rollupConditions } from '../rollup-sql.js';
import { ROLLUP_BIN_COLUMNS, ROLLUP_ROW_COLUMNS, type StatsPlan } from '../stats-rollup.js';

/** The roll-up columns the server sums over a window's hours: tokens, then the confidence bins. */
export const ROLLUP_SUMMED_COLUMNS = ['token_decisions', 'input_tokens', 'output_tokens', 'total_tokens', ...ROLLUP_BIN_COLUMNS];
import type { NormalizedStatsQuery } from '../stats-query.js';
import { boundSql, type BoundSql } from './page-sql.js';

/**
 * Every aggregate of `stats` in one statement, one snapshot and one round trip: the raw part of
 * the window (statsPlan) read once (a materialised CTE) and summed by the server (durations as
 * duration-sketch.ts bucket counts, the bucket computed by postgresDurationBucketSql exactly as
 * in JavaScript), and the roll-up rows of its whole hours: their series counts as they are, their
 * bins and tokens summed, their sketches concatenated into one bytea (DurationSketch.addBytes
 * reads records in any order; shipping each row's sketch as JSON hex cost more than the rest of
 * the query). StatsAccumulator adds the parts up as the SQLite store does.
 */
export function statsSql(query: NormalizedStatsQuery, plan: StatsPlan): BoundSql {
  const { filter } = query;
  return boundSql(
    plan.raw === null ? { ...filter, sinceMicros: null, untilMicros: null } : { ...filter, sinceMicros: plan.raw.from, untilMicros: plan.raw.to },
    (bind, where) => {
      const rawWhere = plan.raw === null ? ' WHERE false' : where();
      const rollupWhere = plan.rollups === null ? ' WHERE false' : whereClause(rollupConditions(filter, plan.rollups, bind));
      const since = bind(filter.sinceMicros);
      const bucket = bind(query.bucketMs * 1000);
      return `
      WITH w AS MATERIALIZED (
        SELECT sort_time, type, version, outcome, adjusted_count, confidence, duration_ms, input_tokens, output_tokens, total_tokens
        FROM decisions${rawWhere}
      ),
      r AS MATERIALIZED (SELECT ${ROLLUP_ROW_COLUMNS} FROM decision_rollups${rollupWhere})
      SELECT
        (SELECT coalesce(json_agg(g), '[]') FROM (
           SELECT (sort_time - ${since}::bigint) / ${bucket}::bigint AS bucket,
             type, version, outcome, count(*) AS count, sum(coalesce(adjusted_count, 1)) AS weighted_count
           FROM w GROUP BY 1, 2, 3, 4) g) AS groups,
        (SELECT coalesce(json_agg(h), '[]') FROM (
           SELECT least(floor(confidence * 10)::integer, 9) AS bin, count(*) AS count
           FROM w WHERE confidence BETWEEN 0 AND 1 GROUP BY 1) h) AS bins,
        (SELECT json_build_object('decisions', count(total_tokens), 'input_tokens', coalesce(sum(input_tokens) FILTER (WHERE total_tokens IS NOT NULL), 0),
           'output_tokens', coalesce(sum(output_tokens) FILTER (WHERE total_tokens IS NOT NULL), 0), 'total_tokens', coalesce(sum(total_tokens), 0))
         FROM w) AS tokens,
        (SELECT coalesce(json_agg(json_build_array(hour, type_key, version_key, outcome_key, count, weighted_count)), '[]') FROM r) AS rollup_groups,
        (SELECT json_build_array(${ROLLUP_SUMMED_COLUMNS.map((column) => `coalesce(sum(${column}), 0)`).join(', ')}) FROM r) AS rollup_sums,
        (SELECT string_agg(durations, ''::bytea) FROM r) AS rollup_durations,
        (SELECT coalesce(json_agg(json_build_array(bucket, count)), '[]') FROM (
           SELECT ${postgresDurationBucketSql('duration_ms')} AS bucket, count(*) AS count FROM w WHERE duration_ms IS NOT NULL GROUP BY 1) d) AS durations`;
    },
  );
}

export function outcomeCountsSql(filter: NormalizedDecisionFilter): BoundSql {
  return boundSql(
    filter,
    (_bind, where) => `SELECT outcome, count(*) AS count, sum(coalesce(adjusted_count, 1)) AS weighted_count FROM decisions${where()} GROUP BY outcome`,
  );
}
