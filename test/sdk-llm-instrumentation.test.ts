import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import * as openaiModule from 'openai';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord, Span as ModelSpan } from '@decision-trace/model';
// @ts-expect-error: the example's stand-in is a plain ES module without types
import { startLlmStandIn } from '../examples/refund-agent/llm-stand-in.mjs';
import { NODE_TS, REPO_ROOT, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';
import { startHttpSink, type OtlpSink } from './delivery-sink.js';
import { makeSdk, type SdkHarness } from '../packages/sdk/test/sdk-harness.js';

/**
 * LLM auto-instrumentation by the ecosystem's package (OpenInference's OpenAI instrumentation,
 * from npm) under decisions: the LLM spans it makes, token usage included, are children of the
 * decision spans they ran in, with nothing patched by Decision Trace.
 */
interface StandIn {
  url: string;
  close(): Promise<void>;
}

const LLM_SPAN_NAME = 'OpenAI Chat Completions';

function ask(client: openaiModule.OpenAI, reason: string) {
  return client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You advise on refunds. Answer with JSON: {decision, confidence, rationale}.' },
      { role: 'user', content: `order: o-1\namount: 40\nreason: ${reason}` },
    ],
  });
}

describe('OpenInference OpenAI instrumentation under decisions', () => {
  let llm: StandIn;
  let sdk: SdkHarness;
  let client: openaiModule.OpenAI;
  before(async () => {
    llm = (await startLlmStandIn()) as StandIn;
    sdk = makeSdk();
    const instrumentation = new OpenAIInstrumentation({ tracerProvider: sdk.provider });
    // An ES module import never passes the instrumentation's require hook; it patches the module
    // it is handed (its parameter is typed as the client class, but it reads `module.OpenAI`).
    instrumentation.manuallyInstrument(openaiModule as never);
    client = new openaiModule.OpenAI({ baseURL: llm.url, apiKey: 'stand-in-key' });
  });
  after(async () => {
    await sdk?.shutdown();
    await llm?.close();
  });

  test('each LLM span, with its token usage, is a child of the decision it ran in', async () => {
    const made = await sdk.dt.decision({ type: 'refund.approve.v2', tenant: 'acme' }, async (d) => {
      const advice = await ask(client, 'kettle arrived broken');
      const tier = await sdk.dt.decision({ type: 'customer.tier.assess.v1', tenant: 'acme' }, async (t) => {
        const second = await ask(client, 'changed my mind');
        t.outcome('gold');
        return { id: t.id, spanId: t.spanId, usage: second.usage! };
      });
      d.evidence('model_advice', JSON.parse(advice.choices[0].message.content!));
      d.outcome('approved');
      return { id: d.id, spanId: d.spanId, traceId: d.traceId, usage: advice.usage!, tier };
    });

    const spans = sdk.exportedSpans();
    const llmSpans = spans.filter((s) => s.name === LLM_SPAN_NAME);
    assert.equal(llmSpans.length, 2, 'one LLM span per chat completion');
    const byParent = new Map(llmSpans.map((s) => [s.parentSpanContext?.spanId, s]));
    const outerCall = byParent.get(made.spanId);
    const innerCall = byParent.get(made.tier.spanId);
    assert.ok(outerCall, 'the first call is a child of the refund decision span');
    assert.ok(innerCall, 'the second call is a child of the nested tier decision span');
    for (const [span, usage] of [
      [outerCall, made.usage],
      [innerCall, made.tier.usage],
    ] as Array<[ReadableSpan, NonNullable<openaiModule.OpenAI.Chat.ChatCompletion['usage']>]>) {
      assert.equal(span.spanContext().traceId, made.traceId);
      assert.equal(span.instrumentationScope.name, '@arizeai/openinference-instrumentation-openai');
      assert.equal(span.attributes['openinference.span.kind'], 'LLM');
      assert.equal(span.attributes['llm.model_name'], 'gpt-4o-mini');
      assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
      assert.equal(span.attributes['llm.token_count.prompt'], usage.prompt_tokens);
      assert.equal(span.attributes['llm.token_count.completion'], usage.completion_tokens);
      assert.equal(span.attributes['llm.token_count.total'], usage.prompt_tokens + usage.completion_tokens);
    }

    // The decisions are recorded as usual; the LLM spans themselves are not decisions.
    const records = await sdk.records();
    assert.deepEqual([...records.keys()].sort(), [made.id, made.tier.id].sort());
    assert.equal(records.get(made.tier.id)!.parent_decision_id, made.id);
    assert.equal((records.get(made.id)!.evidence.model_advice as { decision: string }).decision, 'approve');
  });
});

describe('examples/llm-auto-instrumentation against the collector', () => {
  let collector: RunningCollector;
  let backend: OtlpSink;
  before(async () => {
    // The collector forwards every span to the user's trace backend (an OTLP sink here).
    backend = await startHttpSink();
    collector = await startCollector({
      config: (ports) =>
        testCollectorConfig(ports, {
          exporters: { otlphttp: { endpoint: backend.url, encoding: 'json' } },
          service: { pipelines: { traces: { exporters: ['decisions', 'otlphttp'] } } },
        }),
    });
  });
  after(async () => {
    await collector?.stop();
    await backend?.close();
  });

  test('token usage of the LLM calls is rolled up onto each decision record, which is stored once', { timeout: 60_000 }, async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [...NODE_TS, 'examples/llm-auto-instrumentation/agent.mjs'], {
        cwd: REPO_ROOT,
        env: { ...process.env, OTLP_URL: collector.otlpHttpUrl, DECISION_TRACE_API: collector.apiUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(run.code, 0, run.stderr);
    const made = [...run.stdout.matchAll(/^decision (\S+) (\w+) trace (\w+) tokens (\d+)\+(\d+)/gm)].map((m) => ({
      id: m[1],
      outcome: m[2],
      traceId: m[3],
      prompt: Number(m[4]),
      completion: Number(m[5]),
    }));
    assert.deepEqual(
      made.map((m) => m.outcome),
      ['approved', 'denied'],
    );
    // Both ways in were used: the processor delivered each decision to the decision API ...
    assert.match(run.stdout, /^delivered 2 decision events to .* \(failed 0, dropped 0\)$/m);

    await waitFor(async () => backend.requests.length > 0 && (await recordsOfType(collector.apiUrl)).every((r) => r.token_usage !== null));
    const spans: ModelSpan[] = backend.requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    const records = await recordsOfType(collector.apiUrl);
    assert.deepEqual(records.map((r) => r.id).sort(), made.map((m) => m.id).sort(), 'one record per decision, none twice');

    for (const decision of made) {
      // ... and the collector got the decision span over OTLP too (it forwarded it on).
      const decisionSpan = spans.find((s) => s.attributes['dt.decision_id'] === decision.id);
      assert.ok(decisionSpan, `decision span of ${decision.id} reached the collector and was forwarded`);
      const llmSpan = spans.find((s) => s.name === LLM_SPAN_NAME && s.parentSpanId === decisionSpan.spanId);
      assert.ok(llmSpan, `an LLM span under decision ${decision.id}`);
      assert.equal(llmSpan.traceId, decision.traceId);
      assert.equal(llmSpan.attributes['llm.token_count.prompt'], decision.prompt);
      assert.equal(llmSpan.attributes['llm.token_count.completion'], decision.completion);

      const res = await fetch(`${collector.apiUrl}/v1/decisions/${decision.id}`);
      assert.equal(res.status, 200);
      const record = (await res.json()) as DecisionRecord & { events: Array<{ event: { event_id: string } }> };
      assert.equal(record.outcome, decision.outcome);
      assert.equal(record.span_id, decisionSpan.spanId);
      const expected = { input: decision.prompt, output: decision.completion, cached: 0, total: decision.prompt + decision.completion, llm_calls: 1 };
      assert.deepEqual(record.token_usage, expected, 'what the OpenAI response reported, rolled up from the LLM span');
      assert.deepEqual(record.token_usage_with_nested, expected);
      // The two deliveries of the decision span carry one event id, so the store kept one event.
      assert.deepEqual(
        record.events.map((e) => e.event.event_id),
        [`otlp:${decision.traceId}:${decisionSpan.spanId}`],
      );
      assert.equal(record.event_count, 1);
      assert.match(
        run.stdout,
        new RegExp(`^recorded ${decision.id} token_usage input ${expected.input} output ${expected.output} total ${expected.total} \\(1 LLM call\\)$`, 'm'),
        'the example prints the rolled-up usage it read back from the API',
      );

      const trace = (await fetch(`${collector.apiUrl}/v1/traces/${decision.traceId}`).then((r) => r.json())) as {
        spans: Array<{ span_id: string; kind: string | null; decision_ids: string[] }>;
      };
      assert.deepEqual(trace.spans.find((s) => s.span_id === llmSpan.spanId)?.kind, 'LLM', 'the LLM span is kept as a context span');
      assert.deepEqual(trace.spans.find((s) => s.span_id === decisionSpan.spanId)?.decision_ids, [decision.id]);
    }
  });
});

async function recordsOfType(apiUrl: string): Promise<DecisionRecord[]> {
  const page = (await fetch(`${apiUrl}/v1/decisions?type=refund.approve&tenant=acme&limit=100`).then((r) => r.json())) as {
    decisions: DecisionRecord[];
  };
  return page.decisions;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the collector');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
