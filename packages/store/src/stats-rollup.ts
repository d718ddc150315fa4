import type { DecisionRecord } from '@decision-trace/model';
import { decisionSortTime } from './decision-order.js';
import { CONFIDENCE_BINS, confidenceBin } from './decision-stats.js';
import { DurationSketch } from './duration-sketch.js';
import type { NormalizedStatsQuery } from './stats-query.js';
import type { StatsAccumulator, StatsRow } from './stats-rows.js';

/**
 * Hourly roll-ups of the decisions table (table `decision_rollups`, SQLite migration 12 and
 * PostgreSQL migration 9): per (tenant, hour, type, version, outcome) what `stats` sums, so that
 * a window's whole hours cost one row per group instead of one per decision.
 *
 * A roll-up changes in the transaction that changes the decisions it counts: each append adds
 * its new and changed records and takes away what the changed ones counted before (their
 * priors), each retention step takes away the deleted rows. The key columns hold type, version
 * and outcome as rollupKey encodes them (NOT NULL, so that the primary key can be upserted).
 */
export const HOUR_MICROS = 3_600_000_000;

/** The confidence bins' columns, bin_0 … bin_9. */
export const ROLLUP_BIN_COLUMNS = Array.from({ length: CONFIDENCE_BINS }, (_, bin) => `bin_${bin}`);

/** The start of the hour holding an instant, in epoch microseconds. */
export function hourOf(micros: number): number {
  return micros - (((micros % HOUR_MICROS) + HOUR_MICROS) % HOUR_MICROS);
}

/** A nullable key column as stored: '' for null, else the value after a '.'. */
export function rollupKey(value: string | null): string {
  return value === null ? '' : `.${value}`;
}

export function rollupKeyValue(key: string): string | null {
  return key === '' ? null : key.slice(1);
}

/** What one group of decisions adds to (or, negative, takes from) its roll-up row. */
export interface RollupDelta {
  tenant: string;
  hour: number;
  typeKey: string;
  versionKey: string;
  outcomeKey: string;
  count: number;
  weightedCount: number;
  /** Counts per confidence bin, CONFIDENCE_BINS of them. */
  bins: number[];
  tokenDecisions: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  durations: DurationSketch;
}

/** The stats columns of a record, as decisionRowValues writes them. */
export function statsRowOfRecord(record: DecisionRecord): StatsRow {
  return [
    decisionSortTime(record),
    record.type,
    record.version,
    record.outcome,
    record.adjusted_count,
    record.confidence,
    record.duration_ms,
    record.token_usage?.input ?? null,
    record.token_usage?.output ?? null,
    record.token_usage?.total ?? null,
  ];
}

/** Roll-up deltas summed per group, in key order (so concurrent writers lock rows in one order). */
export class RollupDeltas {
  readonly #groups = new Map<string, RollupDelta>();

  /** Adds (sign 1) or takes away (sign -1) one decision's row. */
  addRow(tenant: string, row: StatsRow, sign: 1 | -1): void {
    const [sortTime, type, version, outcome, adjustedCount, confidence, durationMs, input, output, total] = row;
    const hour = hourOf(sortTime);
    const typeKey = rollupKey(type);
    const versionKey = rollupKey(version);
    const outcomeKey = rollupKey(outcome);
    // Each text prefixed by its length: no two groups share a key, and building it costs a
    // fraction of a JSON array's stringify (this runs once per decision appended).
    const key = `${hour} ${tenant.length} ${tenant}${typeKey.length} ${typeKey}${versionKey.length} ${versionKey}${outcomeKey}`;
    let delta = this.#groups.get(key);
    if (delta === undefined) {
      delta = {
        tenant,
        hour,
        typeKey,
        versionKey,
        outcomeKey,
        count: 0,
        weightedCount: 0,
        bins: new Array<number>(CONFIDENCE_BINS).fill(0),
        tokenDecisions: 0,
        inputTokens: 0,
        outputTokens: 0,
        totalTokens: 0,
        durations: new DurationSketch(),
      };
      this.#groups.set(key, delta);
    }
    delta.count += sign;
    delta.weightedCount += sign * (adjustedCount ?? 1);
    const bin = confidenceBin(confidence);
    if (bin !== null) delta.bins[bin]! += sign;
    if (durationMs !== null) delta.durations.add(durationMs, sign);
    if (total !== null) {
      delta.tokenDecisions += sign;
      delta.inputTokens += sign * (input ?? 0);
      delta.outputTokens += sign * (output ?? 0);
      delta.totalTokens += sign * total;
    }
  }

  /**
   * The records one transaction wrote (by key) against what their rows held before it
   * (undefined: new). A record whose stats columns did not change adds nothing.
   */
  addRecords(records: ReadonlyMap<string, DecisionRecord>, priors: ReadonlyMap<string, DecisionRecord | undefined>): void {
    for (const [key, record] of records) {
      const prior = priors.get(key);
      const row = statsRowOfRecord(record);
      if (prior !== undefined) {
        const before = statsRowOfRecord(prior);
        if (prior.tenant === record.tenant && sameRow(before, row)) continue;
        this.addRow(prior.tenant, before, -1);
      }
      this.addRow(record.tenant, row, 1);
    }
  }

  /** The non-empty deltas, sorted by (hour, tenant, type, version, outcome) key. */
  deltas(): RollupDelta[] {
    return [...this.#groups.values()]
      .filter(
        (delta) => delta.count !== 0 || delta.durations.size > 0 || delta.bins.some((n) => n !== 0) || delta.weightedCount !== 0 || delta.tokenDecisions !== 0,
      )
      .sort(compareDeltas);
  }
}

function sameRow(a: StatsRow, b: StatsRow): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareDeltas(a: RollupDelta, b: RollupDelta): number {
  return (
    a.hour - b.hour ||
    compareText(a.tenant, b.tenant) ||
    compareText(a.typeKey, b.typeKey) ||
    compareText(a.versionKey, b.versionKey) ||
    compareText(a.outcomeKey, b.outcomeKey)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Which part of a stats window comes from roll-ups (whole hours) and which from raw rows. */
export interface StatsPlan {
  /** Hours [from, to) in epoch microseconds read from roll-ups; null for none. */
  rollups: { from: number; to: number } | null;
  /** The range [from, to) of sort_time read from the decisions themselves; null for none. */
  raw: { from: number; to: number } | null;
}

/**
 * Roll-ups serve the whole hours of the window when the filter uses only what they are keyed by
 * (tenant, type, version, outcome, the window) and every bucket is a whole number of hours on the
 * hour grid (bucket a multiple of 1 h, `since` on the hour), so that each hour lies in one
 * bucket; the window's last, partial hour and every other query are read from raw rows.
 */
export function statsPlan(query: NormalizedStatsQuery): StatsPlan {
  const { filter } = query;
  const whole = { from: filter.sinceMicros, to: filter.untilMicros };
  const rollupDimensionsOnly =
    filter.traceId === null &&
    filter.actorId === null &&
    filter.actorType === null &&
    filter.service === null &&
    filter.status === null &&
    filter.minConfidence === null &&
    filter.maxConfidence === null &&
    filter.hasViolations === null &&
    filter.evidence.length === 0;
  const onHourGrid = (query.bucketMs * 1000) % HOUR_MICROS === 0 && hourOf(filter.sinceMicros) === filter.sinceMicros;
  if (!rollupDimensionsOnly || !onHourGrid) return { rollups: null, raw: whole };
  const lastWholeHourEnd = hourOf(filter.untilMicros);
  if (lastWholeHourEnd <= filter.sinceMicros) return { rollups: null, raw: whole };
  return {
    rollups: { from: filter.sinceMicros, to: lastWholeHourEnd },
    raw: lastWholeHourEnd < filter.untilMicros ? { from: lastWholeHourEnd, to: filter.untilMicros } : null,
  };
}

/** The roll-up columns `stats` reads, in this order. */
export const ROLLUP_ROW_COLUMNS = `hour, type_key, version_key, outcome_key, count, weighted_count, token_decisions, input_tokens, output_tokens, total_tokens, ${ROLLUP_BIN_COLUMNS.join(', ')}, durations`;

/** A roll-up row as `stats` reads it: ROLLUP_ROW_COLUMNS (durations as stored: DurationSketch.toBytes). */
export type RollupRow = [
  hour: number,
  typeKey: string,
  versionKey: string,
  outcomeKey: string,
  count: number,
  weightedCount: number,
  tokenDecisions: number,
  inputTokens: number,
  outputTokens: number,
  totalTokens: number,
  ...binsThenDurations: Array<number | Uint8Array | null>,
];

/** Adds one roll-up row's counts to the series of a stats answer being built. */
export function addRollupGroup(
  accumulator: StatsAccumulator,
  hour: number,
  typeKey: string,
  versionKey: string,
  outcomeKey: string,
  count: number,
  weightedCount: number,
): void {
  if (count === 0) return;
  accumulator.addGroup(accumulator.bucketOf(hour), rollupKeyValue(typeKey), rollupKeyValue(versionKey), rollupKeyValue(outcomeKey), count, weightedCount);
}

/** Adds roll-up rows to a stats answer being built. */
export function addRollupRows(accumulator: StatsAccumulator, rows: Iterable<RollupRow>): void {
  for (const row of rows) {
    const [hour, typeKey, versionKey, outcomeKey, count, weightedCount, tokenDecisions, input, output, total] = row;
    if (count === 0) continue;
    addRollupGroup(accumulator, hour, typeKey, versionKey, outcomeKey, count, weightedCount);
    accumulator.addTokens(tokenDecisions, input, output, total);
    for (let bin = 0; bin < CONFIDENCE_BINS; bin++) {
      const n = row[10 + bin] as number;
      if (n !== 0) accumulator.addBin(bin, n);
    }
    accumulator.durations.addBytes(row[10 + CONFIDENCE_BINS] as Uint8Array | null);
  }
}
