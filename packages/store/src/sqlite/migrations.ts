import { ROLLUP_BIN_COLUMNS } from '../stats-rollup.js';

/**
 * The SQLite schema as an ordered list of migrations. Append new migrations at the end with
 * the next version; never edit one that has shipped, because databases already carry it.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /**
   * Work after `sql` that SQL cannot do, in the same transaction: `audit_chain` hash-chains the
   * audit entries stored before the chain existed (audit-chain.ts), in row order;
   * `refold_records` folds every decision record again from its ledger events with today's
   * reducer (record-refold.ts); `stats_rollups` builds the hourly roll-ups of the decisions
   * stored (stats-rollup.ts).
   */
  backfill?: 'audit_chain' | 'refold_records' | 'stats_rollups';
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger and decisions',
    sql: `
      CREATE TABLE ledger (
        row_id      INTEGER PRIMARY KEY,
        tenant_id   TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        event_id    TEXT NOT NULL,
        decision_id TEXT NOT NULL,
        event_type  TEXT NOT NULL,
        timestamp   TEXT NOT NULL,
        received_at TEXT NOT NULL,
        event       TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL,
        UNIQUE (tenant_id, event_id),
        UNIQUE (tenant_id, seq)
      );
      CREATE INDEX ledger_by_decision ON ledger (tenant_id, decision_id, seq);

      CREATE TABLE decisions (
        tenant_id          TEXT NOT NULL,
        id                 TEXT NOT NULL,
        type               TEXT,
        version            TEXT,
        outcome            TEXT,
        status             TEXT NOT NULL,
        start_time         TEXT,
        end_time           TEXT,
        sort_time          INTEGER NOT NULL,
        trace_id           TEXT,
        parent_decision_id TEXT,
        environment        TEXT,
        service_name       TEXT,
        actor_id           TEXT,
        actor_type         TEXT,
        confidence         REAL,
        event_count        INTEGER NOT NULL,
        updated_at         TEXT NOT NULL,
        record             TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX decisions_newest ON decisions (sort_time, id, tenant_id);
      CREATE INDEX decisions_tenant_newest ON decisions (tenant_id, sort_time, id);
      CREATE INDEX decisions_tenant_type ON decisions (tenant_id, type, sort_time, id);
      CREATE INDEX decisions_tenant_outcome ON decisions (tenant_id, outcome, sort_time, id);
      CREATE INDEX decisions_by_id ON decisions (id);
      CREATE INDEX decisions_by_trace ON decisions (trace_id);
    `,
  },
  {
    version: 2,
    name: 'ledger checkpoints for retention',
    // Retention prunes rows in place (event = '') and deletes a chain's pruned start behind a
    // checkpoint. A writer whose cached chain tail is older than a checkpoint would reuse a
    // deleted seq that no unique key holds any more: the trigger refuses that insert, and the
    // store then reads its tails again, as after a unique-key conflict.
    sql: `
      CREATE TABLE ledger_checkpoints (
        tenant_id  TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        hash       TEXT NOT NULL,
        removed    INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      ) WITHOUT ROWID;
      CREATE TRIGGER ledger_seq_after_checkpoint BEFORE INSERT ON ledger
      WHEN NEW.seq <= (SELECT max(seq) FROM ledger_checkpoints WHERE tenant_id = NEW.tenant_id)
      BEGIN
        SELECT RAISE(ABORT, 'ledger.seq is at or before the tenant''s checkpoint');
      END;
    `,
  },
  {
    version: 3,
    name: 'context spans, causal link index, token usage',
    // Context spans keep their roll-up inputs (parent, kind, token counts) in columns so that
    // token usage is recomputed without parsing whole spans; the trace id leads their key, which
    // serves lookups with and without a tenant alike. causal_links mirrors the records'
    // causal_links so the decision graph finds the decisions linking TO a decision; existing
    // records' links are copied, and their token usage starts as unknown.
    sql: `
      CREATE TABLE context_spans (
        tenant_id      TEXT NOT NULL,
        trace_id       TEXT NOT NULL,
        span_id        TEXT NOT NULL,
        parent_span_id TEXT,
        kind           TEXT,
        token_usage    TEXT,
        span           TEXT NOT NULL,
        PRIMARY KEY (trace_id, tenant_id, span_id)
      );

      CREATE TABLE causal_links (
        tenant_id TEXT NOT NULL,
        source_id TEXT NOT NULL,
        type      TEXT NOT NULL,
        target_id TEXT NOT NULL,
        PRIMARY KEY (tenant_id, source_id, type, target_id)
      ) WITHOUT ROWID;
      CREATE INDEX causal_links_by_target ON causal_links (tenant_id, target_id);
      INSERT OR IGNORE INTO causal_links (tenant_id, source_id, type, target_id)
        SELECT d.tenant_id, d.id, json_extract(l.value, '$.type'), json_extract(l.value, '$.target_decision_id')
        FROM decisions d, json_each(d.record, '$.causal_links') l
        WHERE json_extract(l.value, '$.type') IS NOT NULL AND json_extract(l.value, '$.target_decision_id') IS NOT NULL;

      CREATE INDEX decisions_tenant_parent ON decisions (tenant_id, parent_decision_id);
      UPDATE decisions SET record = json_set(record, '$.token_usage', json('null'), '$.token_usage_with_nested', json('null'))
        WHERE json_type(record, '$.token_usage') IS NULL;
    `,
  },
  {
    version: 4,
    name: 'context spans packed per trace and append',
    // One row per (tenant, trace) and append call instead of one per span: far fewer rows and
    // index entries to write, the spans as JSON arrays of value tuples (context-span-pack.ts
    // names the fields and their order). Existing spans move into packs of at most 500.
    sql: `
      CREATE TABLE context_span_packs (
        pack_id   INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        trace_id  TEXT NOT NULL,
        spans     TEXT NOT NULL
      );
      CREATE INDEX context_span_packs_by_trace ON context_span_packs (trace_id, tenant_id);
      INSERT INTO context_span_packs (tenant_id, trace_id, spans)
        SELECT tenant_id, trace_id, json_group_array(json_array(
          span -> '$.span_id', span -> '$.parent_span_id', span -> '$.name', span -> '$.kind', span -> '$.kind_source',
          span -> '$.span_kind', span -> '$.service_name', span -> '$.start_time', span -> '$.end_time',
          span -> '$.start_time_unix_nano', span -> '$.end_time_unix_nano', span -> '$.duration_ms', span -> '$.status',
          span -> '$.status_message', span -> '$.operation', span -> '$.model', span -> '$.agent_name', span -> '$.tool_name',
          span -> '$.token_usage'))
        FROM (
          SELECT tenant_id, trace_id, span, (row_number() OVER (PARTITION BY trace_id, tenant_id ORDER BY span_id) - 1) / 500 AS chunk
          FROM context_spans
        )
        GROUP BY trace_id, tenant_id, chunk;
      DROP TABLE context_spans;
    `,
  },
  {
    version: 5,
    name: 'filter and stats columns, audit log',
    // Filters and stats read columns instead of parsing record JSON per row; existing records
    // get them from their JSON. Violating records are rare: a partial index finds them without
    // scanning, and only those rows pay for it at ingest. The audit log of API reads lives
    // beside the ledger, newest first by (at_micros, row_id).
    sql: `
      ALTER TABLE decisions ADD COLUMN duration_ms REAL;
      ALTER TABLE decisions ADD COLUMN adjusted_count REAL;
      ALTER TABLE decisions ADD COLUMN has_violations INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE decisions ADD COLUMN input_tokens INTEGER;
      ALTER TABLE decisions ADD COLUMN output_tokens INTEGER;
      ALTER TABLE decisions ADD COLUMN total_tokens INTEGER;
      UPDATE decisions SET
        duration_ms = json_extract(record, '$.duration_ms'),
        adjusted_count = json_extract(record, '$.adjusted_count'),
        has_violations = coalesce(json_array_length(record, '$.violations'), 0) > 0,
        input_tokens = json_extract(record, '$.token_usage.input'),
        output_tokens = json_extract(record, '$.token_usage.output'),
        total_tokens = json_extract(record, '$.token_usage.total');
      CREATE INDEX decisions_tenant_actor ON decisions (tenant_id, actor_id, sort_time, id);
      CREATE INDEX decisions_violating ON decisions (sort_time, id, tenant_id) WHERE has_violations = 1;

      CREATE TABLE audit_log (
        row_id    INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        at_micros INTEGER NOT NULL,
        key_name  TEXT NOT NULL,
        role      TEXT NOT NULL,
        tenant    TEXT,
        method    TEXT NOT NULL,
        path      TEXT NOT NULL,
        query     TEXT NOT NULL,
        status    INTEGER NOT NULL
      );
      CREATE INDEX audit_log_newest ON audit_log (at_micros, row_id);
      CREATE INDEX audit_log_tenant_newest ON audit_log (tenant, at_micros, row_id);
    `,
  },
  {
    version: 6,
    name: 'covering index for stats',
    // Stats read ten small columns of every decision in a time window. Through the (sort_time)
    // indexes each row costs a lookup in the table, whose rows are large (the record JSON) and
    // scattered; this index holds those columns (and the tenant, for scoped stats) so a window is
    // one range scan of the index. Its key leads with sort_time, which grows with time, so
    // inserts land at its right edge and cost ingest little.
    sql: `
      CREATE INDEX decisions_stats ON decisions (
        sort_time, tenant_id, type, version, outcome, adjusted_count, confidence, duration_ms, input_tokens, output_tokens, total_tokens
      );
    `,
  },
  {
    version: 7,
    name: 'no index on the decision id alone',
    // Every new decision costs a page write in each index keyed by a random value (ids, trace
    // ids): the leaf it lands on is anywhere in the index. The (id) index served only the
    // lookup of a decision without a tenant, which the primary key (tenant_id, id) serves as
    // well, once per tenant (sqlite-store.ts, selectDecisionsById).
    sql: `
      DROP INDEX decisions_by_id;
    `,
  },
  {
    version: 8,
    name: 'a decision row lists its ledger rows',
    // The ledger's (tenant_id, decision_id, seq) index cost a page write on a random leaf for
    // every event appended. A decision's row, rewritten on each of its events anyway, now lists
    // the seqs of its events (comma-separated), and a decision's events are read through the
    // (tenant_id, seq) key, whose new entries all land at its end.
    sql: `
      ALTER TABLE decisions ADD COLUMN event_seqs TEXT;
      UPDATE decisions SET event_seqs = (
        SELECT group_concat(seq, ',') FROM (
          SELECT seq FROM ledger l WHERE l.tenant_id = decisions.tenant_id AND l.decision_id = decisions.id ORDER BY seq
        )
      );
      DROP INDEX ledger_by_decision;
    `,
  },
  {
    version: 9,
    name: 'hash-chained audit log',
    // The audit log becomes tamper-evident like the ledger: one chain over all entries (seq,
    // prev_hash, hash); entries already stored are chained in row order by the backfill.
    sql: `
      ALTER TABLE audit_log ADD COLUMN seq INTEGER;
      ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
      ALTER TABLE audit_log ADD COLUMN hash TEXT;
      CREATE UNIQUE INDEX audit_log_chain ON audit_log (seq);
    `,
    backfill: 'audit_chain',
  },
  {
    version: 10,
    name: 'records folded with schema 1.0 payload semantics',
    // Schema 1.0's reducer no longer lets action, approval, evaluation and error payloads set
    // record-level fields, and keeps a policy's earlier results: records written before are
    // folded again from their events, so that each record is what its events give today and
    // verification can check it against them.
    sql: '',
    backfill: 'refold_records',
  },
  {
    version: 11,
    name: 'anomaly alerts',
    // Alerts of the collector's decision_anomaly connector, stored by the decisions exporter of
    // a logs pipeline; the alert itself is JSON, the columns are what the listing filters and
    // orders by (newest first).
    sql: `
      CREATE TABLE alerts (
        tenant_id TEXT NOT NULL,
        id        TEXT NOT NULL,
        at_micros INTEGER NOT NULL,
        type      TEXT NOT NULL,
        version   TEXT,
        kind      TEXT NOT NULL,
        alert     TEXT NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX alerts_newest ON alerts (at_micros, id, tenant_id);
      CREATE INDEX alerts_tenant_newest ON alerts (tenant_id, at_micros, id);
    `,
  },
  {
    version: 12,
    name: 'hourly stats roll-ups',
    // Stats read every decision of their window; at 10M decisions a day is 333,000 rows. Per
    // (hour, tenant, type, version, outcome) this table holds what stats sum (stats-rollup.ts),
    // kept in the transactions that write and delete decisions, so a window's whole hours cost
    // one row per group. Type, version and outcome are stored as rollupKey encodes them ('' for
    // null, else '.' + value) so the key has no NULL; durations are the duration-sketch.ts
    // sketch as bytes (NULL: none). The backfill sums the stored decisions an hour at a time with
    // the write path's code.
    sql: `
      CREATE TABLE decision_rollups (
        hour            INTEGER NOT NULL,
        tenant_id       TEXT NOT NULL,
        type_key        TEXT NOT NULL,
        version_key     TEXT NOT NULL,
        outcome_key     TEXT NOT NULL,
        count           INTEGER NOT NULL,
        weighted_count  REAL NOT NULL,
        token_decisions INTEGER NOT NULL,
        input_tokens    REAL NOT NULL,
        output_tokens   REAL NOT NULL,
        total_tokens    REAL NOT NULL,
        ${ROLLUP_BIN_COLUMNS.map((column) => `${column} INTEGER NOT NULL,`).join('\n        ')}
        durations       BLOB,
        PRIMARY KEY (hour, tenant_id, type_key, version_key, outcome_key)
      ) WITHOUT ROWID;
    `,
    backfill: 'stats_rollups',
  },
  {
    version: 13,
    name: 'parent index of child decisions only',
    // Most decisions have no parent: each still cost an entry in the (tenant_id,
    // parent_decision_id) index, written with every new decision and read by nothing (the
    // decision graph looks children up by a parent id, `parent_decision_id = ?`, which never
    // matches NULL). Kept partial, root decisions cost no index write.
    sql: `
      DROP INDEX decisions_tenant_parent;
      CREATE INDEX decisions_tenant_parent ON decisions (tenant_id, parent_decision_id) WHERE parent_decision_id IS NOT NULL;
    `,
  },
  {
    version: 14,
    name: 'one trace-keyed table for packs and decisions',
    // A new decision and its trace's context spans each cost a page write on a random leaf of
    // their own trace index (decisions_by_trace, context_span_packs_by_trace). One WITHOUT ROWID
    // table keyed by (trace_id, tenant_id, member) holds both: a member is a pack's pack_id
    // (an integer) or a decision's id (text, which SQLite orders after every integer), so a
    // trace's packs and decisions sit side by side on one leaf, written once per commit. Packs
    // are only inserted and deleted: triggers keep their members. A decision's member follows
    // its trace_id column (as stored) and is written by the ledger writer when the trace is new
    // to the row, and deleted by retention: triggers on decisions measured twice the upsert's
    // cost (ledger-writer.ts).
    sql: `
      CREATE TABLE trace_members (
        trace_id  TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        member    NOT NULL,
        PRIMARY KEY (trace_id, tenant_id, member)
      ) WITHOUT ROWID;
      INSERT INTO trace_members (trace_id, tenant_id, member) SELECT trace_id, tenant_id, pack_id FROM context_span_packs;
      INSERT OR IGNORE INTO trace_members (trace_id, tenant_id, member) SELECT trace_id, tenant_id, id FROM decisions WHERE trace_id IS NOT NULL;
      DROP INDEX context_span_packs_by_trace;
      DROP INDEX decisions_by_trace;

      CREATE TRIGGER trace_members_pack_insert AFTER INSERT ON context_span_packs BEGIN
        INSERT INTO trace_members (trace_id, tenant_id, member) VALUES (NEW.trace_id, NEW.tenant_id, NEW.pack_id);
      END;
      CREATE TRIGGER trace_members_pack_delete AFTER DELETE ON context_span_packs BEGIN
        DELETE FROM trace_members WHERE trace_id = OLD.trace_id AND tenant_id = OLD.tenant_id AND member = OLD.pack_id;
      END;
    `,
  },
  {
    version: 15,
    name: 'no newest index beside the stats index',
    // Every new decision cost an entry in each of the decisions table's indexes. The (sort_time,
    // id, tenant_id) index served the listings without a tenant, newest first; the covering stats
    // index (migration 6) leads with sort_time too, so it serves them as well: SQLite walks it
    // newest first and sorts only the rows of one sort_time by (id, tenant_id), stopping at the
    // page's limit; a cursor's row comparison is a range on its sort_time; the type, version and
    // outcome filters are read from the index instead of the rows. Dropping an index is quick at
    // any size.
    sql: `
      DROP INDEX decisions_newest;
    `,
  },
  {
    version: 16,
    name: 'checkpoint check once per tenant and append',
    // Migration 2's trigger ran a sub-program and a checkpoint lookup for every ledger row
    // inserted, about a tenth of a decision's insert cost. The ledger writer now makes the same
    // check itself once per tenant and append transaction, before the tenant's first row
    // (ledger-writer.ts): the transaction holds the write lock, so no checkpoint can appear
    // between that check and its last row, and its seqs only grow from the first one. Builds
    // before this schema, which rely on the trigger, refuse to open it (migrate.ts).
    sql: `
      DROP TRIGGER ledger_seq_after_checkpoint;
    `,
  },
];
