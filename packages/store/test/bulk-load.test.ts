import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { ContextSpan, DecisionEvent } from '@decision-trace/model';
import { bulkLoadPostgres, openStore, prepareBulkLoad, type PreparedBulkLoad } from '../src/index.js';
import { freshSchemaName, postgresUnreachableReason, POSTGRES_TEST_URL, schemaUrl, withAdminConnection } from './postgres-test-database.js';
import { makeEvent } from './store-suite.js';

const unreachable = await postgresUnreachableReason();
const server = unreachable === null ? {} : { skip: unreachable };

const TRACE_A = '0af7651916cd43dd8448eb211c80319c';
const TRACE_B = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_C = '00000000000000000000000000000abc';

function span(tenant: string, traceId: string, spanId: string, parent: string | null, llm?: { input: number; output: number }): ContextSpan {
  return {
    tenant,
    trace_id: traceId,
    span_id: spanId,
    parent_span_id: parent,
    name: llm === undefined ? 'POST /api/refunds' : 'chat gpt-4o-mini',
    kind: llm === undefined ? null : 'LLM',
    kind_source: llm === undefined ? null : 'gen_ai',
    span_kind: llm === undefined ? 'server' : 'client',
    service_name: 'refund-service',
    start_time: '2025-03-01T10:00:00.000Z',
    end_time: '2025-03-01T10:00:00.040Z',
    start_time_unix_nano: '1740823200000000000',
    end_time_unix_nano: '1740823200040000000',
    duration_ms: 40,
    status: 'unset',
    status_message: null,
    operation: llm === undefined ? null : 'chat',
    model: llm === undefined ? null : 'gpt-4o-mini',
    agent_name: null,
    tool_name: null,
    token_usage: llm === undefined ? null : { input: llm.input, output: llm.output, cached: 0, total: llm.input + llm.output },
  };
}

/**
 * Decisions of two tenants as the append path sees them: one folded from several events
 * (start, evidence, policy check, outcome), nested decisions on a parent and a child span with
 * LLM calls beneath each (token_usage against token_usage_with_nested), a decision's span event
 * sharing its span, causal links (one given twice), a decision without span, one without trace,
 * a trace with spans and no decision, sampling and violations.
 */
function input(): { events: DecisionEvent[]; spans: ContextSpan[] } {
  const at = (minute: number) => new Date(Date.UTC(2025, 2, 1, 10, minute)).toISOString();
  const events: DecisionEvent[] = [
    makeEvent('decision.start', {}, { decision_id: 'parent', span_id: 'aaaaaaaaaaaaaaa1', timestamp: at(0) }),
    makeEvent('decision.evidence', { key: 'amount', value: 120 }, { decision_id: 'parent', span_id: 'aaaaaaaaaaaaaaa1', timestamp: at(1) }),
    makeEvent('decision.policy_check', { policy: 'refund_limit', result: 'pass' }, { decision_id: 'parent', span_id: 'aaaaaaaaaaaaaaa1', timestamp: at(2) }),
    makeEvent('decision.outcome', { outcome: 'approved', confidence: 0.9 }, { decision_id: 'parent', span_id: 'aaaaaaaaaaaaaaa1', timestamp: at(3) }),
    makeEvent(
      'decision.observed',
      { outcome: 'email', start_time: at(2), end_time: at(4) },
      {
        decision_id: 'child',
        parent_decision_id: 'parent',
        span_id: 'aaaaaaaaaaaaaaa2',
        timestamp: at(2),
        causal_links: [
          { type: 'triggered_by', target_decision_id: 'parent' },
          { type: 'triggered_by', target_decision_id: 'parent' },
          { type: 'depends_on', target_decision_id: 'other' },
        ],
      },
    ),
    makeEvent('decision.observed', { outcome: 'sms' }, { decision_id: 'same-span', span_id: 'aaaaaaaaaaaaaaa2', timestamp: at(3) }),
    makeEvent('decision.observed', { outcome: 'denied' }, { decision_id: 'spanless', span_id: null, timestamp: at(5) }),
    makeEvent('decision.observed', { outcome: 'denied' }, { decision_id: 'traceless', trace_id: null, timestamp: at(6) }),
    makeEvent(
      'decision.observed',
      { outcome: 'approved' },
      { decision_id: 'other-tenant', tenant_id: 'globex', trace_id: TRACE_B, span_id: 'bbbbbbbbbbbbbbb1', timestamp: at(7) },
    ),
    makeEvent('decision.observed', { outcome: 'review' }, {
      decision_id: 'sampled',
      tenant_id: 'globex',
      trace_id: TRACE_C,
      span_id: 'ccccccccccccccc1',
      timestamp: at(8),
      sampling: { trace_sampled: true, adjusted_count: 10 },
      violations: [{ rule: 'key_evidence', detail: 'order_total missing' }],
    } as Partial<DecisionEvent>),
  ];
  const spans: ContextSpan[] = [
    span('acme', TRACE_A, 'aaaaaaaaaaaaaaa1', null),
    span('acme', TRACE_A, 'aaaaaaaaaaaaaaa2', 'aaaaaaaaaaaaaaa1'),
    span('acme', TRACE_A, 'aaaaaaaaaaaaaaa3', 'aaaaaaaaaaaaaaa1', { input: 800, output: 64 }),
    span('acme', TRACE_A, 'aaaaaaaaaaaaaaa4', 'aaaaaaaaaaaaaaa2', { input: 300, output: 20 }),
    span('globex', TRACE_B.toUpperCase(), 'bbbbbbbbbbbbbbb1', null),
    span('globex', TRACE_B.toUpperCase(), 'bbbbbbbbbbbbbbb2', 'bbbbbbbbbbbbbbb1', { input: 50, output: 5 }),
    span('globex', '1111111111111111111111111111ffff', 'ddddddddddddddd1', null, { input: 7, output: 1 }),
  ];
  return { events, spans };
}

/**
 * Every row of every table of the store but the migrations' own (row ids left out: they number
 * rows, not content), sorted by the whole row.
 */
async function tables(schema: string): Promise<Record<string, unknown[]>> {
  return withAdminConnection(async (client) => {
    const { rows } = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> 'schema_migrations' ORDER BY table_name`,
      [schema],
    );
    const result: Record<string, unknown[]> = {};
    for (const { table_name: table } of rows) {
      const read = await client.query<{ row: unknown }>(
        `SELECT to_jsonb(t) - 'row_id' AS row FROM ${schema}.${table} t ORDER BY (to_jsonb(t) - 'row_id')::text`,
      );
      result[table] = read.rows.map((r) => r.row);
    }
    return result;
  });
}

async function withSchemas(body: (appended: string, loaded: string) => Promise<void>): Promise<void> {
  const schemas = [freshSchemaName(), freshSchemaName()] as const;
  try {
    await body(...schemas);
  } finally {
    await withAdminConnection(async (client) => {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    });
  }
}

async function bulkLoad(schema: string, data: ReturnType<typeof input> | PreparedBulkLoad, receivedAt: string) {
  const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await bulkLoadPostgres(client, data, receivedAt);
  } finally {
    await client.end();
  }
}

test('bulkLoadPostgres writes exactly the rows append then appendContextSpans write', server, async () => {
  await withSchemas(async (appendedSchema, loadedSchema) => {
    const data = input();
    const appended = await openStore(schemaUrl(appendedSchema));
    try {
      await appended.append(data.events);
      await appended.appendContextSpans(data.spans);
    } finally {
      await appended.close();
    }
    const expected = await tables(appendedSchema);
    // One append call is one transaction: its rows share one reception time, which the load is given.
    const receivedAt = new Set((expected.ledger! as Array<{ received_at: string }>).map((row) => row.received_at));
    assert.equal(receivedAt.size, 1);

    const loaded = await openStore(schemaUrl(loadedSchema));
    try {
      assert.deepEqual(await bulkLoad(loadedSchema, data, [...receivedAt][0]!), { events: 10, decisions: 7, spans: 7 });
      const verification = await loaded.verifyLedger();
      assert.equal(verification.ok, true, JSON.stringify(verification));
    } finally {
      await loaded.close();
    }
    const actual = await tables(loadedSchema);
    // The roll-up happened (not two empty answers agreeing): nested and own usage differ on the parent.
    const parent = (expected.decisions! as Array<{ id: string; record: string }>).find((row) => row.id === 'parent')!;
    const record = JSON.parse(parent.record) as { token_usage: { total: number }; token_usage_with_nested: { total: number } };
    assert.deepEqual([record.token_usage.total, record.token_usage_with_nested.total], [864, 1184]);
    assert.equal(expected.causal_links!.length, 2);
    assert.ok(expected.decision_rollups!.length > 0);
    assert.deepEqual(Object.keys(actual), Object.keys(expected));
    for (const table of Object.keys(expected)) assert.deepEqual(actual[table], expected[table], `table ${table}`);
  });
});

test('a load prepared on another thread (structured clone of prepareBulkLoad) writes the same rows', server, async () => {
  await withSchemas(async (direct, cloned) => {
    const data = input();
    const receivedAt = '2025-03-01T11:00:00.000Z';
    for (const schema of [direct, cloned]) await (await openStore(schemaUrl(schema))).close();
    assert.deepEqual(await bulkLoad(direct, data, receivedAt), { events: 10, decisions: 7, spans: 7 });
    // What the fixture's worker thread posts: the prepared load, cloned as postMessage clones it.
    assert.deepEqual(await bulkLoad(cloned, structuredClone(prepareBulkLoad(data)), receivedAt), { events: 10, decisions: 7, spans: 7 });
    const [expected, actual] = [await tables(direct), await tables(cloned)];
    assert.ok(expected.ledger!.length === 10 && expected.decisions!.length === 7 && expected.context_spans!.length === 7);
    for (const table of Object.keys(expected)) assert.deepEqual(actual[table], expected[table], `table ${table}`);
  });
});

test('bulkLoadPostgres refuses what the store holds already, and writes nothing then', server, async () => {
  await withSchemas(async (schema) => {
    const store = await openStore(schemaUrl(schema));
    try {
      const data = input();
      await store.append(data.events.slice(0, 4));
      const before = await tables(schema);
      await assert.rejects(bulkLoad(schema, data, new Date().toISOString()), /acme\/evt-\d+ is stored already/);
      // A new event of a stored decision would need the stored record folded again.
      const late = { events: [makeEvent('decision.evaluation', { outcome: 'correct' }, { decision_id: 'parent', trace_id: null })], spans: [] };
      await assert.rejects(bulkLoad(schema, late, new Date().toISOString()), /decision acme\/parent is stored already/);
      // Spans of a trace that holds a stored decision would roll up onto it.
      const spans = { events: [], spans: [span('acme', TRACE_A, 'eeeeeeeeeeeeeee1', null)] };
      await assert.rejects(bulkLoad(schema, spans, new Date().toISOString()), new RegExp(`trace acme/${TRACE_A} is stored already`));
      const twice = { events: [data.events[6]!, data.events[6]!], spans: [] };
      await assert.rejects(bulkLoad(schema, twice, new Date().toISOString()), /each event once/);
      const upper = { events: [{ ...data.events[7]!, trace_id: TRACE_C.toUpperCase() }], spans: [] };
      await assert.rejects(bulkLoad(schema, upper, new Date().toISOString()), /lowercase trace ids/);
      assert.deepEqual(await tables(schema), before);
    } finally {
      await store.close();
    }
  });
});
