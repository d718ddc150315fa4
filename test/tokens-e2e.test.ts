import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { EXPECTED_ANSWER_OWN, EXPECTED_ANSWER_WITH_NESTED, EXPECTED_TOOL, makeAgentProvider, runSupportAgent } from './helpers/agent-app.js';

/**
 * Token roll-up end to end: the real OTel SDK exports GenAI- and OpenInference-convention LLM
 * spans (with cached prompt tokens) under a decision, over OTLP, to the collector; the records
 * the API returns carry what those calls cost.
 */
async function getRecord(api: string, id: string): Promise<DecisionRecord> {
  const res = await fetch(`${api}/v1/decisions/${id}`);
  assert.equal(res.status, 200, `decision ${id}`);
  return (await res.json()) as DecisionRecord;
}

describe('token usage of the LLM spans beneath a decision', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  const runs = [
    // Span by span: the model calls arrive before the decision spans, in requests of their own.
    { name: 'protobuf, span by span', mode: 'simple' as const, make: (url: string) => new OtlpHttpProtoExporter({ url }) },
    { name: 'JSON, batched', mode: 'batch' as const, make: (url: string) => new OtlpHttpJsonExporter({ url }) },
  ];
  for (const run of runs) {
    test(`GenAI and OpenInference calls with cached tokens roll up (${run.name})`, async () => {
      const { provider, tracer } = makeAgentProvider(run.make(`${collector.otlpHttpUrl}/v1/traces`), run.mode);
      const app = await runSupportAgent(tracer, run.mode);
      await provider.forceFlush();
      await provider.shutdown();

      const answer = await getRecord(collector.apiUrl, app.answerId);
      assert.deepEqual(answer.token_usage, EXPECTED_ANSWER_OWN, 'own: the two calls not beneath the nested decision');
      assert.deepEqual(answer.token_usage_with_nested, EXPECTED_ANSWER_WITH_NESTED);
      assert.ok(answer.token_usage!.cached <= answer.token_usage!.input, 'cached tokens are part of the input');
      assert.equal(answer.token_usage!.total, answer.token_usage!.input + answer.token_usage!.output, 'cached never counted twice');

      const tool = await getRecord(collector.apiUrl, app.toolId);
      assert.equal(tool.parent_decision_id, app.answerId);
      assert.deepEqual(tool.token_usage, EXPECTED_TOOL);
      assert.deepEqual(tool.token_usage_with_nested, EXPECTED_TOOL);

      const list = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${app.traceId}`);
      const listed = ((await list.json()) as { decisions: DecisionRecord[] }).decisions;
      assert.deepEqual(listed.find((d) => d.id === app.answerId)?.token_usage, EXPECTED_ANSWER_OWN, 'lists carry it too');
    });
  }
});
