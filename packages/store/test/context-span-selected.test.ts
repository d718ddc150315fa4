import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { contextSpansOf, selectedContextSpans, type SelectedContextSpans, type Span } from '@decision-trace/model';
import { makeSpan } from '@decision-trace/model/testing';
import { packContextSpans, packSelectedSpans } from '../src/context-span-pack.js';
import { SqliteDecisionStore, WorkerDecisionStore, type DecisionStore } from '../src/index.js';
import { makeEvent } from './store-suite.js';
import { tempDir, withConnection } from './sqlite-test-database.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER = 'aaaabbbbccccddddeeeeffff00001111';
const MILLI = 1_000_000n;
const START = 1_714_557_600_123_456_789n;

/** Decoded spans of every shape a context span's fields take, of two traces, two tenants, interleaved. */
function selection(): SelectedContextSpans {
  const selected = selectedContextSpans();
  const add = (tenant: string, serviceName: string | null, span: Partial<Span>) => {
    selected.spans.push(makeSpan({ traceId: TRACE, startTimeUnixNano: START, endTimeUnixNano: START + 7n * MILLI, ...span }));
    selected.tenants.push(tenant);
    selected.serviceNames.push(serviceName);
  };
  add('acme', 'svc', { spanId: '0000000000000001', name: 'root', kind: 2, status: { code: 1, message: '' } });
  add('acme', 'svc', {
    spanId: '0000000000000002',
    parentSpanId: '0000000000000001',
    name: 'chat',
    kind: 3,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-x',
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.agent.name': 'planner',
    },
  });
  add('acme', null, {
    spanId: '0000000000000003',
    parentSpanId: '0000000000000001',
    name: 'tool',
    attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'lookup_order' },
    status: { code: 2, message: 'boom' },
  });
  add('acme', 'svc', {
    spanId: '0000000000000004',
    traceId: OTHER.toUpperCase(),
    attributes: { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'ent' },
  });
  add('globex', 'svc', { spanId: '0000000000000005', name: 'elsewhere' });
  add('acme', 'svc', { spanId: '0000000000000006', startTimeUnixNano: 0n, endTimeUnixNano: 0n, name: 'timeless' });
  add('acme', 'svc', { spanId: '0000000000000007', startTimeUnixNano: START, endTimeUnixNano: START - MILLI, name: 'backwards' });
  add('acme', 'svc', { spanId: '0000000000000008', startTimeUnixNano: 8_640_000_000_000_001_000_000n, name: 'beyond the Date range' });
  add('acme', 'svc', { spanId: '0000000000000009', startTimeUnixNano: 253_402_300_800_000_000_000n, name: 'after year 9999' });
  add('acme', 'svc', { spanId: '000000000000000a', traceId: OTHER, kind: 9, name: 'unknown kind' });
  return selected;
}

test('packSelectedSpans packs the decoded spans as packContextSpans packs their ContextSpans', () => {
  const selected = selection();
  assert.deepStrictEqual(packSelectedSpans(selected), packContextSpans(contextSpansOf(selected)));
});

/** The rows appendContextSpans leaves, and the decision records' token usage it rolls up. */
async function storedWith(
  open: (file: string) => Promise<DecisionStore>,
  input: (selected: SelectedContextSpans) => Parameters<DecisionStore['appendContextSpans']>[0],
) {
  const dir = tempDir();
  const file = join(dir, 'decisions.db');
  try {
    const store = await open(file);
    try {
      const selected = selection();
      const decision = makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: 'd', trace_id: TRACE, span_id: '0000000000000001' });
      assert.deepEqual(await Promise.all([store.append([decision]), store.appendContextSpans(input(selected))]), [
        { appended: 1, duplicates: 0 },
        { appended: 10, duplicates: 0 },
      ]);
      // Again: every span is a duplicate now.
      assert.deepEqual(await store.appendContextSpans(input(selected)), { appended: 0, duplicates: 10 });
      const [detail] = await store.getDecision('d');
      return {
        record: { token_usage: detail!.record.token_usage, with_nested: detail!.record.token_usage_with_nested },
        rows: withConnection(file, (db) => db.prepare('SELECT tenant_id, trace_id, spans FROM context_span_packs ORDER BY pack_id').all()),
      };
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('appendContextSpans stores a selection of decoded spans as it stores their ContextSpans (SQLite in the thread and in the worker)', async () => {
  const inline = async (file: string) => new SqliteDecisionStore(file);
  const worker = (file: string) => WorkerDecisionStore.open(file);
  const asContextSpans = await storedWith(inline, contextSpansOf);
  assert.equal(asContextSpans.rows.length, 3, 'a pack per tenant and trace');
  assert.deepEqual(asContextSpans.record.token_usage, { input: 40, output: 2, cached: 0, total: 42, llm_calls: 1 });
  assert.deepStrictEqual(await storedWith(inline, (selected) => selected), asContextSpans);
  assert.deepStrictEqual(await storedWith(worker, (selected) => selected), asContextSpans);
});
