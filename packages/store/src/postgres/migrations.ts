import type { Migration } from '../sqlite/migrations.js';
import { ROLLUP_BIN_COLUMNS } from '../stats-rollup.js';
import { BACKFILL_ROLLUPS_SQL } from './rollups.js';

/**
 * The PostgreSQL schema as an ordered list of migrations, applied by migratePostgres. Append new
 * migrations at the end with the next version; never edit one that has shipped.
 *
 * The concepts are SQLite's (migrations.ts there; version 1 here holds SQLite's 1 to 3), plus
 * `ledger_heads`: one row per tenant chain holding its last seq and hash, which every writer
 * locks (SELECT … FOR UPDATE) before it extends that chain, so that processes sharing the
 * database append one after another. Text keys use the "C" collation: listing order and cursors
 * then compare strings as SQLite does, whatever the database's locale.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'ledger, chain heads, checkpoints, decisions, context spans and causal links',
    sql: `
      CREATE TABLE ledger (
        row_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant_id   text COLLATE "C" NOT NULL,
        seq         bigint NOT NULL,
        event_id    text COLLATE "C" NOT NULL,
        decision_id text COLLATE "C" NOT NULL,
        event_type  text NOT NULL,
        timestamp   text NOT NULL,
        received_at text NOT NULL,
        -- The canonical JSON that was hashed; NULL once retention pruned the row.
        event       text,
        prev_hash   text NOT NULL,
        hash        text NOT NULL,
        UNIQUE (tenant_id, event_id),
        UNIQUE (tenant_id, seq)
      );
      CREATE INDEX ledger_by_decision ON ledger (tenant_id, decision_id, seq);

      CREATE TABLE ledger_heads (
        tenant_id text COLLATE "C" PRIMARY KEY,
        seq       bigint NOT NULL,
        hash      text NOT NULL
      );

      CREATE TABLE ledger_checkpoints (
        tenant_id  text COLLATE "C" NOT NULL,
        seq        bigint NOT NULL,
        hash       text NOT NULL,
        removed    bigint NOT NULL,
        created_at text NOT NULL,
        PRIMARY KEY (tenant_id, seq)
      );

      CREATE TABLE decisions (
        tenant_id          text COLLATE "C" NOT NULL,
        id                 text COLLATE "C" NOT NULL,
        type               text COLLATE "C",
        version            text COLLATE "C",
        outcome            text COLLATE "C",
        status             text NOT NULL,
        start_time         text,
        end_time           text,
        sort_time          bigint NOT NULL,
        trace_id           text COLLATE "C",
        parent_decision_id text COLLATE "C",
        environment        text,
        service_name       text,
        actor_id           text,
        actor_type         text,
        confidence         double precision,
        event_count        integer NOT NULL,
        updated_at         text NOT NULL,
        record             text NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX decisions_newest ON decisions (sort_time, id, tenant_id);
      CREATE INDEX decisions_tenant_newest ON decisions (tenant_id, sort_time, id);
      CREATE INDEX decisions_tenant_type ON decisions (tenant_id, type, sort_time, id);
      CREATE INDEX decisions_tenant_outcome ON decisions (tenant_id, outcome, sort_time, id);
      CREATE INDEX decisions_by_id ON decisions (id);
      CREATE INDEX decisions_by_trace ON decisions (trace_id);
      CREATE INDEX decisions_tenant_parent ON decisions (tenant_id, parent_decision_id);

      -- Spans of traces that hold decisions; the roll-up inputs (parent, kind, token counts)
      -- have columns so that token usage is recomputed without parsing whole spans.
      CREATE TABLE context_spans (
        tenant_id      text COLLATE "C" NOT NULL,
        trace_id       text COLLATE "C" NOT NULL,
        span_id        text COLLATE "C" NOT NULL,
        parent_span_id text COLLATE "C",
        kind           text,
        token_usage    text,
        span           text NOT NULL,
        PRIMARY KEY (tenant_id, trace_id, span_id)
      );
      CREATE INDEX context_spans_by_trace ON context_spans (trace_id);

      -- The records' causal links, so that the decision graph finds the decisions linking TO one.
      CREATE TABLE causal_links (
        tenant_id text COLLATE "C" NOT NULL,
        source_id text COLLATE "C" NOT NULL,
        type      text COLLATE "C" NOT NULL,
        target_id text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant_id, source_id, type, target_id)
      );
      CREATE INDEX causal_links_by_target ON causal_links (tenant_id, target_id);
    `,
  },
  {
    version: 5,
    name: 'filter and stats columns, audit log',
    // As SQLite's migration 5: columns for filters and stats filled from the record JSON, a
    // partial index on violating records, and the audit log of API reads.
    sql: `
      ALTER TABLE decisions
        ADD COLUMN duration_ms double precision,
        ADD COLUMN adjusted_count double precision,
        ADD COLUMN has_violations smallint NOT NULL DEFAULT 0,
        ADD COLUMN input_tokens double precision,
        ADD COLUMN output_tokens double precision,
        ADD COLUMN total_tokens double precision;
      UPDATE decisions SET (duration_ms, adjusted_count, has_violations, input_tokens, output_tokens, total_tokens) = (
        SELECT (r ->> 'duration_ms')::double precision,
               (r ->> 'adjusted_count')::double precision,
               CASE WHEN json_typeof(r -> 'violations') = 'array' THEN sign(json_array_length(r -> 'violations')) ELSE 0 END,
               (r -> 'token_usage' ->> 'input')::double precision,
               (r -> 'token_usage' ->> 'output')::double precision,
               (r -> 'token_usage' ->> 'total')::double precision
        FROM (SELECT decisions.record::json AS r) AS parsed
      );
      CREATE INDEX decisions_tenant_actor ON decisions (tenant_id, actor_id, sort_time, id);
      CREATE INDEX decisions_violating ON decisions (sort_time, id, tenant_id) WHERE has_violations = 1;

      CREATE TABLE audit_log (
        row_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at        text NOT NULL,
        at_micros bigint NOT NULL,
        key_name  text NOT NULL,
        role      text NOT NULL,
        tenant    text COLLATE "C",
        method    text NOT NULL,
        path      text NOT NULL,
        query     text NOT NULL,
        status    integer NOT NULL
      );
      CREATE INDEX audit_log_newest ON audit_log (at_micros, row_id);
      CREATE INDEX audit_log_tenant_newest ON audit_log (tenant, at_micros, row_id);
    `,
  },
  {
    version: 6,
    name: 'hash-chained audit log',
    // As SQLite's migration 9: the audit log's chain, entries already stored chained in row order.
    sql: `
      ALTER TABLE audit_log ADD COLUMN seq bigint, ADD COLUMN prev_hash text, ADD COLUMN hash text;
      CREATE UNIQUE INDEX audit_log_chain ON audit_log (seq);
    `,
    backfill: 'audit_chain',
  },
  {
    version: 7,
    name: 'records folded with schema 1.0 payload semantics',
    // As SQLite's migration 10.
    sql: '',
    backfill: 'refold_records',
  },
  {
    version: 8,
    name: 'anomaly alerts',
    // As SQLite's migration 11.
    sql: `
      CREATE TABLE alerts (
        tenant_id text COLLATE "C" NOT NULL,
        id        text COLLATE "C" NOT NULL,
        at_micros bigint NOT NULL,
        type      text COLLATE "C" NOT NULL,
        version   text COLLATE "C",
        kind      text COLLATE "C" NOT NULL,
        alert     text NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX alerts_newest ON alerts (at_micros, id, tenant_id);
      CREATE INDEX alerts_tenant_newest ON alerts (tenant_id, at_micros, id);
    `,
  },
  {
    version: 9,
    name: 'hourly stats roll-ups',
    // As SQLite's migration 12, backfilled by one INSERT … SELECT … GROUP BY.
    sql: `
      CREATE TABLE decision_rollups (
        hour            bigint NOT NULL,
        tenant_id       text COLLATE "C" NOT NULL,
        type_key        text COLLATE "C" NOT NULL,
        version_key     text COLLATE "C" NOT NULL,
        outcome_key     text COLLATE "C" NOT NULL,
        count           bigint NOT NULL,
        weighted_count  float8 NOT NULL,
        token_decisions bigint NOT NULL,
        input_tokens    float8 NOT NULL,
        output_tokens   float8 NOT NULL,
        total_tokens    float8 NOT NULL,
        ${ROLLUP_BIN_COLUMNS.map((column) => `${column} bigint NOT NULL,`).join('\n        ')}
        durations       bytea,
        PRIMARY KEY (hour, tenant_id, type_key, version_key, outcome_key)
      );
      ${BACKFILL_ROLLUPS_SQL};
    `,
  },
];
