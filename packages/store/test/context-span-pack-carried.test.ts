import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { rollUpTokenUsage, type ContextSpan, type DecisionEvent, type RollupSpan } from '@decision-trace/model';
import { packContextSpans, packedSpansAt, packRollupSpans, parseSpanTuples, tupleRollupSpan, type ContextSpanPack } from '../src/context-span-pack.js';
import { SqliteDecisionStore } from '../src/sqlite/sqlite-store.js';
import type { TraceDetail } from '../src/store.js';
import { makeEvent } from './store-suite.js';
import { contextSpan } from './trace-suite.js';
import { tempDir } from './sqlite-test-database.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function llm(spanId: string, parent: string, input: number, output: number, cached = 0): ContextSpan {
  return contextSpan(spanId, parent, { kind: 'LLM', usage: { input, output, cached, total: input + output } });
}

/** Every way a span can count or not count in the roll-up, in two tenants, the trace id in both cases. */
const MIXED_SPANS: ContextSpan[] = [
  contextSpan('root', null),
  contextSpan('plan', 'root', { kind: 'AGENT' }),
  llm('l1', 'plan', 1200, 300, 1000),
  { ...llm('l2', 'plan', 100, 20), trace_id: TRACE.toUpperCase() },
  contextSpan('tool', 'plan', { kind: 'TOOL', usage: { input: 5, output: 5, cached: 0, total: 10 } }),
  contextSpan('uncounted', 'plan', { kind: 'LLM' }),
  llm('l1', 'plan', 1200, 300, 1000),
  contextSpan('root', null, { tenant: 'globex' }),
  { ...llm('g1', 'root', 7, 3), tenant: 'globex' },
];

/** What the roll-up reads of a span: kind and counts of calls only. */
function asRead(span: RollupSpan): RollupSpan {
  return span.kind === 'LLM' && span.token_usage !== null ? span : { ...span, kind: null, token_usage: null };
}

function decision(id: string, spanId: string): DecisionEvent {
  return makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: id, trace_id: TRACE, span_id: spanId });
}

async function withStore<T>(body: (store: SqliteDecisionStore) => Promise<T>): Promise<T> {
  const dir = tempDir();
  const store = new SqliteDecisionStore(join(dir, 'decisions.db'));
  try {
    return await body(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('packs carry what parsing their JSON gives the append: span ids, parents, and the calls with their counts', () => {
  const packs = packContextSpans(MIXED_SPANS);
  assert.equal(packs.length, 2);
  for (const pack of packs) {
    const parsed = parseSpanTuples(pack.spans).map(tupleRollupSpan);
    assert.deepEqual(
      pack.span_ids,
      parsed.map((span) => span.span_id),
    );
    assert.deepEqual(
      pack.parent_span_ids,
      parsed.map((span) => span.parent_span_id),
    );
    assert.deepEqual(packRollupSpans(pack), parsed.map(asRead));
  }
  const [acme] = packs;
  // l1 twice, l2; not the TOOL span with counts nor the LLM span without.
  assert.deepEqual(acme!.calls, [2, 1200, 300, 1000, 1500, 3, 100, 20, 0, 120, 6, 1200, 300, 1000, 1500]);

  const anchors = [
    { id: 'd-root', span_id: 'root' },
    { id: 'd-plan', span_id: 'plan' },
    { id: 'd-l2', span_id: 'l2' },
  ];
  const fromJson = parseSpanTuples(acme!.spans).map(tupleRollupSpan);
  assert.deepEqual(rollUpTokenUsage(packRollupSpans(acme!), anchors), rollUpTokenUsage(fromJson, anchors));
});

test('packs survive a structured clone (the copy to the store worker) whole', () => {
  const packs = packContextSpans(MIXED_SPANS);
  const copies: ContextSpanPack[] = structuredClone(packs);
  assert.deepEqual(copies, packs);
  assert.deepEqual(copies.map(packRollupSpans), packs.map(packRollupSpans));
});

test('packedSpansAt keeps the chosen spans of the JSON, as they were', () => {
  const [pack] = packContextSpans(MIXED_SPANS);
  const tuples = parseSpanTuples(pack!.spans);
  assert.deepEqual(parseSpanTuples(packedSpansAt(pack!.spans, [1, 4, 5])), [tuples[1], tuples[4], tuples[5]]);
  assert.equal(
    packedSpansAt(
      pack!.spans,
      tuples.map((_, i) => i),
    ),
    pack!.spans,
  );
});

test('appending packs of new traces never parses their JSON', async () => {
  await withStore(async (store) => {
    // Without the second l1: a pack holding a duplicate is the one that is parsed (to drop it).
    const packs = packContextSpans(MIXED_SPANS.filter((_, i) => i !== 6));
    const packJson = new Set(packs.map((pack) => pack.spans));
    const parse = JSON.parse;
    let parsedPacks = 0;
    JSON.parse = (text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
      if (packJson.has(text)) parsedPacks += 1;
      return parse(text, reviver);
    };
    try {
      assert.deepEqual(await store.appendPrepared({ packs }), { appended: 8, duplicates: 0 });
    } finally {
      JSON.parse = parse;
    }
    assert.equal(parsedPacks, 0);
  });
});

test('redelivered packs, partly and wholly duplicate, store only their new spans; traces and roll-up as when stored once', async () => {
  const first = [contextSpan('root', null), contextSpan('plan', 'root', { kind: 'AGENT' }), llm('l1', 'plan', 1200, 300)];
  const later = [llm('l2', 'plan', 100, 20), llm('l3', 'l2', 40, 2)];
  const decisions = [decision('d-root', 'root'), decision('d-plan', 'plan'), decision('d-l2', 'l2')];

  const storedOnce = await withStore(async (store) => {
    await store.append(decisions);
    assert.deepEqual(await store.appendContextSpans([...first, ...later]), { appended: 5, duplicates: 0 });
    return outcome(store);
  });

  const redelivered = await withStore(async (store) => {
    await store.append(decisions);
    assert.deepEqual(await store.appendContextSpans(first), { appended: 3, duplicates: 0 });
    // Partly duplicate: the stored spans come again, the new ones among and after them.
    const mixed = [first[0]!, later[0]!, first[2]!, later[1]!, later[1]!];
    assert.deepEqual(await store.appendPrepared({ packs: packContextSpans(mixed) }), { appended: 2, duplicates: 3 });
    // Wholly duplicate, in the same call as a partly duplicate pack of the same trace.
    const calls = [store.appendContextSpans([...first, ...later]), store.appendContextSpans([later[1]!, contextSpan('tail', 'l3')])];
    assert.deepEqual(await Promise.all(calls), [
      { appended: 0, duplicates: 5 },
      { appended: 1, duplicates: 1 },
    ]);
    return outcome(store);
  });

  const tail = redelivered.trace.spans.find((span) => span.span_id === 'tail');
  assert.ok(tail, 'the new span of the partly duplicate pack is stored');
  assert.deepEqual({ ...redelivered.trace, spans: redelivered.trace.spans.filter((span) => span !== tail) }, storedOnce.trace);
  assert.deepEqual(redelivered.usage, storedOnce.usage);
  // l3 runs inside l2, so l2 itself does not count (the same call, instrumented twice).
  assert.deepEqual(storedOnce.usage.get('d-l2'), { token_usage: usage(40, 2, 1), token_usage_with_nested: usage(40, 2, 1) });
  assert.deepEqual(storedOnce.usage.get('d-plan'), { token_usage: usage(1200, 300, 1), token_usage_with_nested: usage(1240, 302, 2) });
});

function usage(input: number, output: number, calls: number) {
  return { input, output, cached: 0, total: input + output, llm_calls: calls };
}

/** The trace's spans and its decisions' usage (the rest of a record differs between stores: ids, times). */
async function outcome(store: SqliteDecisionStore): Promise<{ trace: Omit<TraceDetail, 'decisions'>; usage: Map<string, unknown> }> {
  const [detail] = await store.getTrace(TRACE);
  assert.ok(detail);
  const usage = new Map<string, unknown>();
  for (const record of detail.decisions) usage.set(record.id, { token_usage: record.token_usage, token_usage_with_nested: record.token_usage_with_nested });
  return { trace: { tenant: detail.tenant, trace_id: detail.trace_id, spans: detail.spans }, usage };
}
