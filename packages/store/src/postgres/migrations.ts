import type { Migration } from '../sqlite/migrations.js';

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
];
