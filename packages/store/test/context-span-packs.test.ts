import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { openSqlite } from '../src/sqlite/driver-choice.js';
import type { ContextSpan, DecisionEvent } from '@decision-trace/model';
import { packContextSpans, parseSpanTuples, tupleToContextSpan } from '../src/context-span-pack.js';
import { migrate } from '../src/sqlite/migrate.js';
import { SQLITE_MIGRATIONS } from '../src/sqlite/migrations.js';
import { SqliteDecisionStore } from '../src/sqlite/sqlite-store.js';
import { makeEvent } from './store-suite.js';
import { contextSpan } from './trace-suite.js';
import { tempDir, withConnection } from './sqlite-test-database.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function llm(spanId: string, parent: string, input: number, output: number, startMicros = 20): ContextSpan {
  return contextSpan(spanId, parent, { kind: 'LLM', usage: { input, output, cached: 0, total: input + output }, startMicros });
}

function decision(id: string, spanId: string): DecisionEvent {
  return makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: id, trace_id: TRACE, span_id: spanId });
}

test('packs: one per tenant and lowercased trace, in order of appearance; a span comes back as given', () => {
  const spans = [
    contextSpan('a', null),
    contextSpan('b', 'a', { tenant: 'globex' }),
    { ...llm('c', 'a', 10, 2), trace_id: TRACE.toUpperCase(), status_message: 'fine', duration_ms: 0 },
  ];
  const packs = packContextSpans(spans);
  assert.deepEqual(
    packs.map((p) => [p.tenant, p.trace_id, p.count]),
    [
      ['acme', TRACE, 2],
      ['globex', TRACE, 1],
    ],
  );
  const unpacked = parseSpanTuples(packs[0]!.spans).map((tuple) => tupleToContextSpan('acme', TRACE, tuple));
  assert.deepEqual(unpacked, [spans[0], { ...spans[2], trace_id: TRACE }]);
});

test('packs: times that are not the ones their nanoseconds give, and missing ones, come back as given', () => {
  const derived = contextSpan('a', null);
  const odd = [
    { ...derived, span_id: 'b', start_time: '2025-03-01T10:00:00Z', end_time: null, end_time_unix_nano: '0' },
    { ...derived, span_id: 'c', start_time: null, start_time_unix_nano: '999999', end_time: '1970-01-01T00:00:00.000Z', end_time_unix_nano: '12' },
    { ...derived, span_id: 'd', start_time: 'not a time', start_time_unix_nano: '-5000000' },
    { ...derived, span_id: 'e', start_time: '+010000-01-01T00:00:00.000Z', start_time_unix_nano: '253402300800000000000' },
  ];
  const [pack] = packContextSpans([derived, ...odd]);
  const tuples = parseSpanTuples(pack!.spans);
  assert.deepEqual(tuples[0]!.slice(7, 9), [0, 0], 'derivable times are stored as 0');
  assert.deepEqual(
    tuples.map((tuple) => tupleToContextSpan('acme', TRACE, tuple)),
    [derived, ...odd],
  );
});

test('context spans: one row per trace and call; redelivery inside a call and across calls is a duplicate', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  const store = new SqliteDecisionStore(file);
  try {
    const spans = ['1', '2', '3', '4'].flatMap((trace) => [0, 1, 2].map((i) => contextSpan(`s${i}`, i === 0 ? null : 's0', { trace: trace.repeat(32) })));
    assert.deepEqual(await store.appendContextSpans(spans), { appended: 12, duplicates: 0 });
    assert.equal(
      withConnection(file, (db) => db.prepare('SELECT count(*) FROM context_span_packs').pluck().get()),
      4,
    );

    const b = contextSpan('b', 'a');
    assert.deepEqual(await store.appendContextSpans([contextSpan('a', null), b]), { appended: 2, duplicates: 0 });
    assert.deepEqual(await store.appendContextSpans([b, contextSpan('c', 'a'), contextSpan('c', 'a')]), { appended: 1, duplicates: 2 });
    const [detail] = await store.getTrace(TRACE);
    assert.deepEqual(
      detail!.spans.map((s) => s.span_id),
      ['a', 'b', 'c'],
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('migration 4 moves the context spans of a version 3 database into packs', async () => {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  const spans = [
    contextSpan('root', null, { startMicros: 0 }),
    contextSpan('plan', 'root', { startMicros: 10, kind: 'AGENT' }),
    llm('l1', 'plan', 1200, 300),
    llm('l2', 'plan', 100, 20, 30),
  ];
  const globex = contextSpan('root', null, { tenant: 'globex' });
  try {
    // Written as the version 3 store wrote its rows: one per span, the span's JSON beside its roll-up columns.
    const db = openSqlite(file);
    migrate(
      db,
      SQLITE_MIGRATIONS.filter((m) => m.version <= 3),
    );
    const insert = db.prepare('INSERT INTO context_spans (tenant_id, trace_id, span_id, parent_span_id, kind, token_usage, span) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const span of [...spans, globex]) {
      insert.run(
        span.tenant,
        span.trace_id,
        span.span_id,
        span.parent_span_id,
        span.kind,
        span.token_usage && JSON.stringify(span.token_usage),
        JSON.stringify(span),
      );
    }
    db.close();

    const store = new SqliteDecisionStore(file);
    try {
      const details = await store.getTrace(TRACE);
      assert.deepEqual(
        details.map((d) => d.tenant),
        ['acme', 'globex'],
      );
      assert.deepEqual(details[0]!.spans, spans);
      assert.deepEqual(details[1]!.spans, [globex]);
      assert.deepEqual(await store.appendContextSpans(spans), { appended: 0, duplicates: 4 }, 'migrated spans count as stored');
      await store.append([decision('d', 'plan')]);
      const [detail] = await store.getDecision('d', { tenant: 'acme' });
      assert.deepEqual(detail!.record.token_usage, { input: 1300, output: 320, cached: 0, total: 1620, llm_calls: 2 }, 'the roll-up reads migrated spans');
    } finally {
      await store.close();
    }
    withConnection(file, (check) => {
      const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'context_span%'").pluck().all();
      assert.deepEqual(tables, ['context_span_packs']);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
