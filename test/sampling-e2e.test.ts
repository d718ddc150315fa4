import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionRecord } from '@decision-trace/model';
import { encodeTraceRequestJson } from '@decision-trace/otlp';
import { ProbabilisticSpanSampler } from '@decision-trace/sampling';
import { parse } from 'yaml';
import { startCollector } from './helpers/collector-process.js';
import { testCollectorConfig, type CollectorPorts } from './helpers/test-config.js';
import { asResourceSpans, makeTrace, refundDecision } from './sampling-fixtures.js';

/** The default test collector with `processorsYaml` (YAML text of processors) after `decision`, and a debug exporter beside the store. */
function config(processorsYaml: string, pipelineProcessors: string) {
  return (p: CollectorPorts) =>
    testCollectorConfig(p, {
      processors: parse(processorsYaml),
      exporters: { debug: {} },
      service: { pipelines: { traces: { processors: ['decision', pipelineProcessors], exporters: ['decisions', 'debug'] } } },
    });
}

async function post(url: string, body: string): Promise<void> {
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 200, await res.text());
}

async function records(apiUrl: string): Promise<DecisionRecord[]> {
  const res = await fetch(`${apiUrl}/v1/decisions?tenant=acme&limit=1000`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { decisions: DecisionRecord[] }).decisions;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sampling end to end (YAML → OTLP/HTTP → store → API)', () => {
  test('tail_sampling: every decision record is stored and notes whether its trace was kept', async () => {
    const collector = await startCollector({
      config: config(
        `  tail_sampling:
    decision_wait: 300ms
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
      - {name: risky-refunds, type: decision, decision: {type: "refund.*", outcome: approved, confidence_below: 0.7}}`,
        'tail_sampling',
      ),
    });
    try {
      const risky = Array.from({ length: 5 }, () => makeTrace({ decision: refundDecision('approved', 0.4) }));
      const safe = Array.from({ length: 5 }, () => makeTrace({ decision: refundDecision('approved', 0.95) }));
      const failingSafe = makeTrace({ error: true, decision: refundDecision('denied', 0.99) });
      const all = [...risky, ...safe, failingSafe];
      await post(collector.otlpHttpUrl, encodeTraceRequestJson(asResourceSpans(all.flatMap((t) => t.spans))));

      // Acknowledged means stored: every record is there at once, before any sampling decision.
      const immediately = await records(collector.apiUrl);
      assert.equal(immediately.length, all.length);
      assert.ok(immediately.every((r) => r.trace_sampled === null));

      const decided = await until(
        () => records(collector.apiUrl),
        (list) => list.every((r) => r.trace_sampled !== null),
      );
      const byTrace = new Map(decided.map((r) => [r.trace_id, r]));
      for (const t of risky) assert.equal(byTrace.get(t.traceId)?.trace_sampled, true, 'risky refund kept');
      for (const t of safe) assert.equal(byTrace.get(t.traceId)?.trace_sampled, false, 'confident refund not kept');
      assert.equal(byTrace.get(failingSafe.traceId)?.trace_sampled, true, 'error trace kept');
      for (const r of decided) {
        assert.equal(r.outcome === 'approved' || r.outcome === 'denied', true, 'the verdict event changed nothing else');
        assert.equal(r.event_count, 2);
      }

      // Redelivering the same traffic creates no second verdict.
      await post(collector.otlpHttpUrl, encodeTraceRequestJson(asResourceSpans(risky[0].spans)));
      await new Promise((r) => setTimeout(r, 800));
      const again = (await records(collector.apiUrl)).find((r) => r.trace_id === risky[0].traceId)!;
      assert.equal(again.event_count, 2);
      assert.equal(again.trace_sampled, true);
    } finally {
      await collector.stop();
    }
  });

  test('probabilistic_sampler: records carry the verdict of their span and the adjusted count 1/p', async () => {
    const collector = await startCollector({ config: config('  probabilistic_sampler: {sampling_percentage: 50}', 'probabilistic_sampler') });
    try {
      const traces = Array.from({ length: 40 }, () => makeTrace({ decision: refundDecision('approved', 0.9) }));
      await post(collector.otlpHttpUrl, encodeTraceRequestJson(asResourceSpans(traces.flatMap((t) => t.spans))));
      const stored = await records(collector.apiUrl);
      assert.equal(stored.length, 40);
      const expected = new ProbabilisticSpanSampler({ sampling_percentage: 50 });
      let kept = 0;
      for (const t of traces) {
        const record = stored.find((r) => r.trace_id === t.traceId)!;
        const wanted = expected.decide({ traceId: t.traceId, traceState: '', attributes: {} }).sampled;
        assert.equal(record.trace_sampled, wanted);
        assert.equal(record.adjusted_count, 2);
        if (wanted) kept++;
      }
      assert.ok(kept > 0 && kept < 40);
    } finally {
      await collector.stop();
    }
  });
});
