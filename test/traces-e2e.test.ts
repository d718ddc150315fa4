import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, trace as otelTrace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';
import { EXPECTED_ANSWER_OWN, EXPECTED_ANSWER_WITH_NESTED, EXPECTED_TOOL, makeAgentProvider, runSupportAgent } from './helpers/agent-app.js';

/** GET /v1/traces/{traceId}: the request trace ↔ decision pivot, end to end from the OTel SDK. */
interface TraceBody {
  trace_id: string;
  tenant: string;
  spans: Array<Record<string, any>>;
  decisions: DecisionRecord[];
  token_usage: Record<string, number> | null;
}

async function getTrace(api: string, traceId: string): Promise<{ status: number; body: TraceBody }> {
  const res = await fetch(`${api}/v1/traces/${traceId}`);
  return { status: res.status, body: (await res.json()) as TraceBody };
}

function agentProvider(collector: RunningCollector) {
  return makeAgentProvider(new OtlpHttpProtoExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }));
}

async function finish(provider: BasicTracerProvider): Promise<void> {
  await provider.forceFlush();
  await provider.shutdown();
}

describe('GET /v1/traces/{traceId}', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  test('the spans of a trace with decisions, typed, with durations, status and parents, and its decisions', async () => {
    const { provider, tracer } = agentProvider(collector);
    const app = await runSupportAgent(tracer, 'trace-view');
    await finish(provider);

    const { status, body } = await getTrace(collector.apiUrl, app.traceId.toUpperCase());
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.trace_id, app.traceId);
    assert.equal(body.tenant, 'acme');
    assert.equal(body.spans.length, 8, body.spans.map((s) => s.name).join(', '));
    const byName = new Map(body.spans.map((s) => [s.name as string, s]));
    const starts = body.spans.map((span) => BigInt(span.start_time_unix_nano));
    assert.ok(
      starts.every((start, i) => i === 0 || start >= starts[i - 1]!),
      'ordered by start time',
    );

    const kinds = Object.fromEntries(body.spans.map((s) => [s.name, s.kind]));
    assert.deepEqual(kinds, {
      'POST /support': null,
      'support.answer': null,
      'chat gpt-4o': 'LLM',
      'retrieve-and-answer': 'CHAIN',
      ChatAnthropic: 'LLM',
      'tool.select': null,
      'chat gpt-4o-mini': 'LLM',
      'execute_tool lookup_order': 'TOOL',
    });
    const chat = byName.get('chat gpt-4o')!;
    assert.equal(chat.kind_source, 'gen_ai');
    assert.equal(chat.model, 'gpt-4o');
    assert.equal(chat.span_kind, 'client');
    assert.equal(chat.service_name, 'support-agent');
    assert.equal(chat.parent_span_id, app.spanIds['support.answer']);
    assert.deepEqual(chat.token_usage, { input: 1200, output: 300, cached: 1000, total: 1500 });
    assert.equal(typeof chat.duration_ms, 'number');
    assert.ok(chat.duration_ms >= 0);
    const anthropic = byName.get('ChatAnthropic')!;
    assert.equal(anthropic.kind_source, 'openinference');
    assert.equal(anthropic.model, 'claude-sonnet');
    assert.deepEqual(anthropic.token_usage, { input: 800, output: 50, cached: 512, total: 850 });
    const lookup = byName.get('execute_tool lookup_order')!;
    assert.equal(lookup.tool_name, 'lookup_order');
    assert.equal(lookup.status, 'error');
    assert.equal(lookup.status_message, 'order service timed out');
    assert.equal(byName.get('POST /support')!.parent_span_id, null);

    assert.deepEqual(byName.get('support.answer')!.decision_ids, [app.answerId], 'each span names its decisions');
    assert.deepEqual(byName.get('tool.select')!.decision_ids, [app.toolId]);
    assert.deepEqual(byName.get('chat gpt-4o')!.decision_ids, []);

    const decisions = new Map(body.decisions.map((d) => [d.id, d]));
    assert.deepEqual([...decisions.keys()].sort(), [app.answerId, app.toolId].sort());
    assert.equal(decisions.get(app.answerId)!.span_id, app.spanIds['support.answer']);
    assert.deepEqual(decisions.get(app.answerId)!.token_usage, EXPECTED_ANSWER_OWN);
    assert.deepEqual(decisions.get(app.answerId)!.token_usage_with_nested, EXPECTED_ANSWER_WITH_NESTED);
    assert.deepEqual(decisions.get(app.toolId)!.token_usage, EXPECTED_TOOL);
    assert.deepEqual(body.token_usage, EXPECTED_ANSWER_WITH_NESTED, 'the trace’s calls, each once');
  });

  test('a span that ends after its decision was exported joins the trace and the roll-up', async () => {
    const { provider, tracer } = agentProvider(collector);
    let late: ReturnType<typeof tracer.startSpan> | undefined;
    const app = await runSupportAgent(tracer, 'late-span', {
      async beforeDecisionEnds(decision) {
        // A model call still streaming when the decision span ends.
        late = tracer.startSpan(
          'late chat',
          { attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 40, 'gen_ai.usage.output_tokens': 4 } },
          otelTrace.setSpan(context.active(), decision),
        );
      },
    });
    await provider.forceFlush();
    const before = await getTrace(collector.apiUrl, app.traceId);
    assert.equal(before.body.spans.length, 8);
    assert.deepEqual(before.body.decisions.find((d) => d.id === app.answerId)!.token_usage, EXPECTED_ANSWER_OWN);

    late!.end();
    await finish(provider);
    const after = await getTrace(collector.apiUrl, app.traceId);
    assert.equal(after.body.spans.length, 9);
    const lateSpan = after.body.spans.find((span) => span.name === 'late chat')!;
    assert.equal(lateSpan.parent_span_id, app.spanIds['support.answer']);
    assert.equal(lateSpan.kind, 'LLM');
    assert.deepEqual(after.body.decisions.find((d) => d.id === app.answerId)!.token_usage, {
      input: EXPECTED_ANSWER_OWN.input + 40,
      output: EXPECTED_ANSWER_OWN.output + 4,
      cached: EXPECTED_ANSWER_OWN.cached,
      total: EXPECTED_ANSWER_OWN.total + 44,
      llm_calls: 3,
    });
  });

  test('a trace without decisions is not kept: 404; malformed ids are a 400', async () => {
    const { provider, tracer } = agentProvider(collector);
    const span = tracer.startSpan('GET /health');
    const traceId = span.spanContext().traceId;
    span.end();
    await finish(provider);
    const unknown = await getTrace(collector.apiUrl, traceId);
    assert.equal(unknown.status, 404);
    assert.match(String((unknown.body as unknown as { error: string }).error), /not found/);
    assert.equal((await getTrace(collector.apiUrl, 'not-a-trace-id')).status, 400);
    assert.equal((await fetch(`${collector.apiUrl}/v1/traces/${traceId}?limit=3`)).status, 400, 'unknown parameter');
  });
});

describe('exporters.decisions.store_context_spans: false', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector({
      config: (ports) => testCollectorConfig(ports, { exporters: { decisions: { store_context_spans: false } } }),
    });
  });
  after(async () => {
    await collector.stop();
  });

  test('no span is kept: the trace shows its decisions only, and records have no token usage', async () => {
    const { provider, tracer } = agentProvider(collector);
    const app = await runSupportAgent(tracer, 'no-spans');
    await finish(provider);
    const { status, body } = await getTrace(collector.apiUrl, app.traceId);
    assert.equal(status, 200);
    assert.deepEqual(body.spans, []);
    assert.equal(body.decisions.length, 2);
    assert.equal(body.token_usage, null);
    assert.ok(body.decisions.every((d) => d.token_usage === null));
  });
});
