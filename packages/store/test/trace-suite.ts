import assert from 'node:assert/strict';
import type { ContextSpan, DecisionEvent, DecisionRecord, TokenCounts, TokenUsage } from '@decision-trace/model';
import { InvalidQueryError, type DecisionStore } from '../src/index.js';
import type { StoreTestDatabase } from './store-suite.js';

/**
 * The shared suite's part about traces: context spans, token roll-up onto decisions, and the
 * decision graph's neighbor lookup. Registered by runStoreSuite, so every backend runs it.
 */
type WithStore = (title: string, body: (store: DecisionStore, database: StoreTestDatabase) => Promise<void>) => void;
type MakeEvent = (event_type: DecisionEvent['event_type'], payload: Record<string, unknown>, overrides?: Partial<DecisionEvent>) => DecisionEvent;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const BASE_NANOS = 1_740_823_200_000_000_000n; // 2025-03-01T10:00:00Z

interface SpanOptions {
  tenant?: string;
  trace?: string;
  kind?: ContextSpan['kind'];
  usage?: TokenCounts | null;
  /** Start offset in microseconds from BASE_NANOS. */
  startMicros?: number;
}

export function contextSpan(spanId: string, parentSpanId: string | null, options: SpanOptions = {}): ContextSpan {
  const start = BASE_NANOS + BigInt(options.startMicros ?? 0) * 1000n;
  const end = start + 5_000_000n;
  return {
    tenant: options.tenant ?? 'acme',
    trace_id: options.trace ?? TRACE,
    span_id: spanId,
    parent_span_id: parentSpanId,
    name: `span ${spanId}`,
    kind: options.kind ?? null,
    kind_source: options.kind ? 'gen_ai' : null,
    span_kind: 'internal',
    service_name: 'agent-service',
    start_time: new Date(Number(start / 1_000_000n)).toISOString(),
    end_time: new Date(Number(end / 1_000_000n)).toISOString(),
    start_time_unix_nano: start.toString(),
    end_time_unix_nano: end.toString(),
    duration_ms: 5,
    status: 'ok',
    status_message: null,
    operation: options.kind === 'LLM' ? 'chat' : null,
    model: options.kind === 'LLM' ? 'gpt-4o' : null,
    agent_name: null,
    tool_name: null,
    token_usage: options.usage ?? null,
  };
}

function llm(spanId: string, parent: string, input: number, output: number, cached = 0, options: SpanOptions = {}): ContextSpan {
  return contextSpan(spanId, parent, { ...options, kind: 'LLM', usage: { input, output, cached, total: input + output } });
}

function usage(calls: TokenCounts[]): TokenUsage {
  const sum = { input: 0, output: 0, cached: 0, total: 0, llm_calls: calls.length };
  for (const c of calls) {
    sum.input += c.input;
    sum.output += c.output;
    sum.cached += c.cached;
    sum.total += c.total;
  }
  return sum;
}

export function registerTraceTests(withStore: WithStore, makeEvent: MakeEvent): void {
  const decisionAt = (id: string, spanId: string | null, overrides: Partial<DecisionEvent> = {}) =>
    makeEvent('decision.observed', { outcome: 'approved' }, { decision_id: id, span_id: spanId, trace_id: TRACE, ...overrides });

  async function record(store: DecisionStore, id: string, tenant = 'acme'): Promise<DecisionRecord> {
    const [detail] = await store.getDecision(id, { tenant });
    assert.ok(detail, `decision ${id} exists`);
    return detail.record;
  }

  // The trace used by the roll-up tests:
  //   root ─ plan (decision "outer") ─┬─ l1 LLM (GenAI counts)
  //                                    ├─ step ─ l3 LLM
  //                                    └─ step ─ check (decision "inner") ─ tool ─ l2 LLM (cached)
  const l1 = llm('l1', 'plan', 1200, 300, 1000);
  const l2 = llm('l2', 'tool', 800, 50, 512);
  const l3 = llm('l3', 'step', 100, 20);
  const traceSpans = [
    contextSpan('root', null, { startMicros: 0 }),
    contextSpan('plan', 'root', { startMicros: 10, kind: 'AGENT' }),
    { ...l1, start_time_unix_nano: (BASE_NANOS + 20_000n).toString() },
    contextSpan('step', 'plan', { startMicros: 30, kind: 'CHAIN' }),
    { ...l3, start_time_unix_nano: (BASE_NANOS + 40_000n).toString() },
    contextSpan('check', 'step', { startMicros: 50 }),
    contextSpan('tool', 'check', { startMicros: 60, kind: 'TOOL' }),
    { ...l2, start_time_unix_nano: (BASE_NANOS + 70_000n).toString() },
  ];
  const expectedOuter = usage([l1.token_usage!, l3.token_usage!]);
  const expectedOuterWithNested = usage([l1.token_usage!, l3.token_usage!, l2.token_usage!]);
  const expectedInner = usage([l2.token_usage!]);

  withStore('context spans: stored once, returned with the trace decisions, ordered by start', async (store) => {
    assert.deepEqual(await store.getTrace(TRACE), []);
    const reversed = [...traceSpans].reverse();
    assert.deepEqual(await store.appendContextSpans(reversed), { appended: 8, duplicates: 0 });
    assert.deepEqual(await store.appendContextSpans(traceSpans.slice(0, 3)), { appended: 0, duplicates: 3 });
    await store.append([decisionAt('outer', 'plan'), decisionAt('other-trace', 'x', { trace_id: OTHER_TRACE })]);

    const details = await store.getTrace(TRACE.toUpperCase());
    assert.equal(details.length, 1);
    const [detail] = details;
    assert.equal(detail!.tenant, 'acme');
    assert.equal(detail!.trace_id, TRACE);
    assert.deepEqual(
      detail!.spans.map((s) => s.span_id),
      ['root', 'plan', 'l1', 'step', 'l3', 'check', 'tool', 'l2'],
    );
    assert.deepEqual(detail!.spans[2], traceSpans[2], 'a span comes back as it was stored');
    assert.deepEqual(
      detail!.decisions.map((d) => d.id),
      ['outer'],
    );
  });

  withStore('context spans: one trace id in two tenants stays apart', async (store) => {
    await store.appendContextSpans([contextSpan('a', null), contextSpan('a', null, { tenant: 'globex' }), contextSpan('b', 'a', { tenant: 'globex' })]);
    await store.append([decisionAt('d', 'a', { tenant_id: 'globex' })]);
    const both = await store.getTrace(TRACE);
    assert.deepEqual(
      both.map((d) => [d.tenant, d.spans.length, d.decisions.length]),
      [
        ['acme', 1, 0],
        ['globex', 2, 1],
      ],
    );
    const globex = await store.getTrace(TRACE, { tenant: 'globex' });
    assert.deepEqual(
      globex.map((d) => d.tenant),
      ['globex'],
    );
    assert.deepEqual(await store.getTrace(TRACE, { tenant: 'initech' }), []);
  });

  withStore('token roll-up: spans first, then decisions', async (store) => {
    await store.appendContextSpans(traceSpans);
    await store.append([decisionAt('outer', 'plan'), decisionAt('inner', 'check')]);
    const outer = await record(store, 'outer');
    assert.deepEqual(outer.token_usage, expectedOuter, 'own: l1 and l3, not l2 which is beneath the nested decision');
    assert.deepEqual(outer.token_usage_with_nested, expectedOuterWithNested);
    const inner = await record(store, 'inner');
    assert.deepEqual(inner.token_usage, expectedInner);
    assert.deepEqual(inner.token_usage_with_nested, expectedInner);
    assert.equal(inner.token_usage!.cached, 512, 'cached tokens are part of the input, not added to it');
    assert.equal(inner.token_usage!.total, 850);
  });

  withStore('token roll-up: decisions first, spans in several calls in reverse order', async (store) => {
    await store.append([decisionAt('inner', 'check'), decisionAt('outer', 'plan')]);
    assert.equal((await record(store, 'outer')).token_usage, null, 'no span known yet');
    const reversed = [...traceSpans].reverse();
    await store.appendContextSpans(reversed.slice(0, 3));
    await store.appendContextSpans(reversed.slice(3, 6));
    await store.appendContextSpans(reversed.slice(6));
    assert.deepEqual((await record(store, 'outer')).token_usage, expectedOuter);
    assert.deepEqual((await record(store, 'outer')).token_usage_with_nested, expectedOuterWithNested);
    assert.deepEqual((await record(store, 'inner')).token_usage, expectedInner);
  });

  withStore('token roll-up: spans and decisions appended at the same time', async (store) => {
    const [spansResult, eventsResult] = await Promise.all([
      store.appendContextSpans(traceSpans.slice(4)),
      store.append([decisionAt('outer', 'plan'), decisionAt('inner', 'check')]),
      store.appendContextSpans(traceSpans.slice(0, 4)),
    ]).then(([a, b, c]) => [a.appended + c.appended, b.appended]);
    assert.equal(spansResult, 8);
    assert.equal(eventsResult, 2);
    assert.deepEqual((await record(store, 'outer')).token_usage, expectedOuter);
    assert.deepEqual((await record(store, 'inner')).token_usage, expectedInner);
  });

  withStore('token roll-up: a nested decision arriving later takes its calls from the outer one', async (store) => {
    await store.appendContextSpans(traceSpans);
    await store.append([decisionAt('outer', 'plan')]);
    const before = await record(store, 'outer');
    assert.deepEqual(before.token_usage, expectedOuterWithNested, 'without the nested decision every call is the outer one’s');
    await store.append([decisionAt('inner', 'check')]);
    const after = await record(store, 'outer');
    assert.deepEqual(after.token_usage, expectedOuter);
    assert.deepEqual(after.token_usage_with_nested, expectedOuterWithNested);
    assert.equal(after.updated_at, before.updated_at, 'a roll-up is not an event: updated_at stays');
    assert.equal(after.event_count, 1);
  });

  withStore('token roll-up: later events keep the usage; other tenants and traces are not counted', async (store) => {
    await store.appendContextSpans([
      ...traceSpans,
      // The same span ids in another tenant and in another trace must not count.
      llm('l9', 'plan', 5000, 5000, 0, { tenant: 'globex' }),
      llm('l8', 'plan', 7000, 7000, 0, { trace: OTHER_TRACE }),
    ]);
    await store.append([decisionAt('outer', 'plan'), decisionAt('inner', 'check')]);
    await store.append([makeEvent('decision.evaluation', { score: 1 }, { decision_id: 'outer', trace_id: TRACE, timestamp: '2025-03-02T10:00:00.000Z' })]);
    const outer = await record(store, 'outer');
    assert.deepEqual(outer.evaluations, [{ score: 1 }]);
    assert.deepEqual(outer.token_usage, expectedOuter);
  });

  withStore('token roll-up: a decision without a span or without LLM calls has none', async (store) => {
    await store.appendContextSpans(traceSpans);
    await store.append([decisionAt('spanless', null), decisionAt('leaf', 'root', { trace_id: TRACE })]);
    assert.equal((await record(store, 'spanless')).token_usage, null);
    const leaf = await record(store, 'leaf');
    assert.equal(leaf.token_usage_with_nested?.llm_calls, 3, 'the root decision covers every call');
    await store.append([decisionAt('quiet', 'tool-without-calls')]);
    assert.equal((await record(store, 'quiet')).token_usage, null);
    assert.equal((await record(store, 'quiet')).token_usage_with_nested, null);
  });

  withStore('neighborDecisions: parent, children and causal links in both directions', async (store) => {
    const link = (type: string, target: string) => [{ type, target_decision_id: target }] as DecisionEvent['causal_links'];
    await store.append([
      decisionAt('root', null),
      decisionAt('child-a', null, { parent_decision_id: 'root' }),
      decisionAt('child-b', null, { parent_decision_id: 'root' }),
      decisionAt('grandchild', null, { parent_decision_id: 'child-a' }),
      decisionAt('depends', null, { causal_links: link('depends_on', 'root') }),
      decisionAt('target', null),
      makeEvent('decision.observed', {}, { decision_id: 'root', causal_links: link('triggered_by', 'target') }),
      decisionAt('root', null, { tenant_id: 'globex', parent_decision_id: 'child-a' }),
      decisionAt('child-a', null, { tenant_id: 'globex' }),
    ]);
    const ids = async (tenant: string, of: string[], limit?: number) =>
      (await store.neighborDecisions(tenant, of, limit === undefined ? {} : { limit })).map((r) => r.id).sort();
    assert.deepEqual(await ids('acme', ['root']), ['child-a', 'child-b', 'depends', 'target']);
    assert.deepEqual(await ids('acme', ['child-a']), ['grandchild', 'root']);
    assert.deepEqual(await ids('acme', ['target']), ['root'], 'the decision linking to it');
    assert.deepEqual(await ids('acme', ['grandchild', 'depends']), ['child-a', 'root']);
    assert.deepEqual(await ids('acme', ['nope']), []);
    assert.deepEqual(await ids('acme', []), []);
    assert.deepEqual(await ids('globex', ['root']), ['child-a'], 'another tenant’s graph');
    assert.equal((await ids('acme', ['root'], 2)).length, 2);
    await assert.rejects(store.neighborDecisions('acme', ['root'], { limit: 0 }), InvalidQueryError);
  });

  withStore('neighborDecisions: a causal link added by a later event is found from its target', async (store) => {
    await store.append([decisionAt('a', null), decisionAt('b', null)]);
    assert.deepEqual(
      (await store.neighborDecisions('acme', ['b'])).map((r) => r.id),
      [],
    );
    await store.append([
      makeEvent('decision.evidence', { key: 'k', value: 1 }, { decision_id: 'a', causal_links: [{ type: 'uses_evidence_from', target_decision_id: 'b' }] }),
    ]);
    assert.deepEqual(
      (await store.neighborDecisions('acme', ['b'])).map((r) => r.id),
      ['a'],
    );
  });
}
