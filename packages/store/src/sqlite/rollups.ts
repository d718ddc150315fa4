import type { DecisionRecord } from '@decision-trace/model';
import type { SqliteDatabase } from './sqlite-driver.js';
import { ROLLUP_COLUMNS, ROLLUP_KEY_COLUMNS, rollupDeltaKey, rollupDeltaValues, rollupMergeAssignments } from '../rollup-sql.js';
import { HOUR_MICROS, hourOf, RollupDeltas, type RollupDelta } from '../stats-rollup.js';
import { STATS_ROW_COLUMNS, type StatsRow } from '../stats-rows.js';

const KEY_MATCH = ROLLUP_KEY_COLUMNS.map((column) => `${column} = ?`).join(' AND ');

function prepareRollups(db: SqliteDatabase) {
  return {
    upsert: db.prepare(
      `INSERT INTO decision_rollups (${ROLLUP_COLUMNS.join(', ')}) VALUES (${ROLLUP_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (${ROLLUP_KEY_COLUMNS.join(', ')}) DO UPDATE SET
      ${rollupMergeAssignments()}`,
    ),
    storedDurations: db.prepare<unknown[], Uint8Array | null>(`SELECT durations FROM decision_rollups WHERE ${KEY_MATCH}`).pluck(),
    deleteIfEmpty: db.prepare(`DELETE FROM decision_rollups WHERE ${KEY_MATCH} AND count = 0`),
  };
}

/**
 * Keeps the SQLite store's hourly roll-ups (stats-rollup.ts) in step with its decisions: called
 * inside the transactions that write or delete decisions, with one upsert per touched group
 * (and, when its durations change, one read of its stored sketch, merged here: merging the
 * stored form in SQL cost a parse of the whole sketch per upsert).
 */
export class SqliteRollups {
  readonly #statements: ReturnType<typeof prepareRollups>;

  constructor(db: SqliteDatabase) {
    this.#statements = prepareRollups(db);
  }

  /** An append transaction's records against their priors (what their rows held before it). */
  afterWrite(records: ReadonlyMap<string, DecisionRecord>, priors: ReadonlyMap<string, DecisionRecord | undefined>): void {
    const deltas = new RollupDeltas();
    deltas.addRecords(records, priors);
    this.apply(deltas.deltas());
  }

  /** Runs inside the write transaction, which holds the database's write lock. */
  apply(deltas: readonly RollupDelta[]): void {
    const { upsert, deleteIfEmpty, storedDurations } = this.#statements;
    for (const delta of deltas) {
      const key = rollupDeltaKey(delta);
      const durations = delta.durations.size > 0 ? delta.durations.mergedBytes(storedDurations.get(...key) ?? null) : null;
      upsert.run(...rollupDeltaValues(delta, durations));
      if (delta.count < 0) deleteIfEmpty.run(...key);
    }
  }
}

/** Stats columns of a deleted decision row (RETURNING), the tenant first. */
export const DELETED_STATS_COLUMNS = `tenant_id, ${STATS_ROW_COLUMNS}`;
export type DeletedStatsRow = [tenant: string, ...row: StatsRow];

/**
 * Builds the roll-ups of every stored decision (migration 12): the decisions read an hour at a
 * time through the covering stats index (sort_time first), summed in JavaScript with the same
 * code as the write path, each hour written before the next is read.
 */
export function backfillRollups(db: SqliteDatabase): void {
  const rollups = new SqliteRollups(db);
  const hourRows = db.prepare<[number, number], DeletedStatsRow>(`SELECT ${DELETED_STATS_COLUMNS} FROM decisions WHERE sort_time >= ? AND sort_time < ?`).raw();
  const nextTime = db.prepare<[number], number | null>('SELECT min(sort_time) FROM decisions WHERE sort_time >= ?').pluck();
  for (let from = nextTime.get(Number.MIN_SAFE_INTEGER) ?? null; from !== null;) {
    const hour = hourOf(from);
    const deltas = new RollupDeltas();
    for (const [tenant, ...row] of hourRows.all(hour, hour + HOUR_MICROS)) deltas.addRow(tenant, row as StatsRow, 1);
    rollups.apply(deltas.deltas());
    from = nextTime.get(hour + HOUR_MICROS) ?? null;
  }
}
