import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { DecisionEvent } from '@decision-trace/model';
import { bulkLoadPostgres, openStore } from '../src/index.js';
import { readTraceSql, TRACE_DECISIONS_SQL } from '../src/postgres/trace-tables.js';
import { freshSchemaName, postgresUnreachableReason, POSTGRES_TEST_URL, schemaUrl, withAdminConnection } from './postgres-test-database.js';
import { makeEvent } from './store-suite.js';

const unreachable = await postgresUnreachableReason();
const server = unreachable === null ? {} : { skip: unreachable };

/** Decisions of one tenant, each in a trace of its own. */
const DECISIONS = 20_000;

function traceId(i: number): string {
  return (i + 1).toString(16).padStart(32, '0');
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** The plan nodes of `sql` that read the decisions table. */
async function decisionReads(client: pg.Client, sql: string, params: unknown[]): Promise<PlanNode[]> {
  const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const found: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    if (node['Relation Name'] === 'decisions') found.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(rows[0]!['QUERY PLAN'][0]!.Plan);
  return found;
}

// A tenant new to a store holding many decisions of others has no statistics: the planner, told
// that tenant_id = 'newcomer' matches about one row, would rather walk a (tenant_id, …) index
// than the trace's, and then does so for every trace; found by the store_scale bench.
test('trace reads find decisions by trace id, also for a tenant the statistics do not know', server, async () => {
  const schema = freshSchemaName();
  try {
    await (await openStore(schemaUrl(schema))).close();
    const events: DecisionEvent[] = [];
    for (let i = 0; i < DECISIONS; i++) {
      events.push(
        makeEvent(
          'decision.observed',
          { outcome: 'approved' },
          { decision_id: `d-${i}`, trace_id: traceId(i), span_id: '00000000000000a1', timestamp: new Date(Date.UTC(2025, 2, 1) + i * 1000).toISOString() },
        ),
      );
    }
    const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await bulkLoadPostgres(client, { events, spans: [] });
      await client.query('ANALYZE');
      const trace = traceId(7);
      for (const [what, sql, params] of [
        ['readTrace', readTraceSql(true), [trace, 'newcomer']],
        ['readTrace, any tenant', readTraceSql(false), [trace]],
        ['the token roll-up', TRACE_DECISIONS_SQL, [['newcomer'], [trace]]],
      ] as const) {
        const reads = await decisionReads(client, sql, [...params]);
        assert.ok(reads.length > 0, what);
        for (const node of reads) assert.equal(node['Index Name'], 'decisions_by_trace', `${what}: ${node['Node Type']} ${node['Index Name'] ?? ''}`);
      }
    } finally {
      await client.end();
    }
  } finally {
    await withAdminConnection((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
  }
});
