/**
 * The SQLite schema as an ordered list of migrations. Append new migrations at the end with
 * the next version; never edit one that has shipped, because databases already carry it.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
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
];
