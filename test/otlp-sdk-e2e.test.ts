import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeProvider, recordRefundDecisions, type AppTrace } from './helpers/decision-app.js';

// The protobuf run exports span by span (SimpleSpanProcessor): children reach the collector in
// requests of their own, before their parents, and must still get the right parent decision.
const encodings = [
  { name: 'JSON', mode: 'batch' as const, make: (url: string) => new OtlpHttpJsonExporter({ url }) },
  { name: 'protobuf', mode: 'simple' as const, make: (url: string) => new OtlpHttpProtoExporter({ url }) },
];

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

async function decisionsOfTrace(api: string, traceId: string): Promise<DecisionRecord[]> {
  const res = await fetch(`${api}/v1/decisions?trace_id=${traceId}&limit=100`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { decisions: DecisionRecord[] }).decisions;
}

function ledgerRows(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('OTLP from the real OpenTelemetry JS SDK becomes decision records', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  for (const encoding of encodings) {
    describe(`over OTLP/HTTP ${encoding.name}, ${encoding.mode} span processor`, () => {
      let app: AppTrace;
      let spans: ReadableSpan[];
      let exporter: SpanExporter;

      before(async () => {
        exporter = encoding.make(`${collector.otlpHttpUrl}/v1/traces`);
        const { provider, tracer, captured } = makeProvider(exporter, encoding.mode);
        app = recordRefundDecisions(tracer, encoding.name);
        await provider.forceFlush();
        spans = captured.getFinishedSpans();
        assert.equal(spans.length, 5, 'the app produced 5 spans');
      });

      test('exactly the four decisions, with every field', async () => {
        const decisions = await decisionsOfTrace(collector.apiUrl, app.traceId);
        assert.equal(decisions.length, 4, JSON.stringify(decisions.map((d) => d.id)));
        const byType = (type: string) => decisions.filter((d) => d.type === type);

        const approveId = `${app.traceId}-${app.approveSpanId}`;
        const [approve] = byType('refund.approve');
        assert.ok(approve, 'refund.approve decision present');
        assert.equal(approve.id, approveId);
        assert.equal(approve.version, 'v2');
        assert.equal(approve.outcome, 'approved');
        assert.equal(approve.confidence, 0.92);
        assert.deepEqual(approve.factors, { amount_ok: true, risk: 'low' });
        assert.deepEqual(approve.alternatives, ['deny', 'escalate']);
        assert.equal(approve.actor?.id, 'agent-7');
        assert.equal(approve.actor?.type, 'agent');
        assert.equal(approve.tenant, 'acme');
        assert.equal(approve.environment, 'test');
        assert.equal(approve.parent_decision_id, null);
        assert.equal(approve.trace_id, app.traceId);
        assert.equal(approve.span_id, app.approveSpanId);
        assert.equal(approve.service_name, 'refund-service');
        assert.deepEqual(approve.evidence, { amount: 120, customer_tier: 'gold' });
        assert.deepEqual(approve.policy_checks, [{ policy: 'refund_limit', result: 'pass' }]);
        assert.equal(approve.status, 'decided');
        assert.deepEqual(approve.flags, []);

        const tools = byType('tool.select').sort((a, b) => a.id.localeCompare(b.id));
        assert.equal(tools.length, 2);
        const given = tools.find((d) => d.id === `tool-select-${encoding.name}`);
        const derived = tools.find((d) => d.id === `${app.traceId}-${app.toolSpanId}-1`);
        assert.ok(given, 'the event with decision.id keeps its id');
        assert.ok(derived, 'the event without an id gets one derived from trace, span and event index');
        for (const d of [given, derived]) {
          assert.equal(d.version, 'v1');
          assert.equal(d.parent_decision_id, approveId, 'parent found through the tool span');
          assert.equal(d.trace_id, app.traceId);
          assert.equal(d.span_id, app.toolSpanId);
          assert.equal(d.tenant, 'acme');
        }
        assert.equal(given.outcome, 'lookup_order');
        assert.equal(given.confidence, 0.8);
        assert.deepEqual(given.alternatives, ['search_faq', 'ask_human']);
        assert.equal(given.actor?.id, 'agent-7');
        assert.equal(derived.outcome, 'skip_refund_history', 'decision.result is an alias of decision.outcome');
        assert.equal(derived.confidence, 0.55);

        const [fraud] = byType('fraud.screen');
        assert.ok(fraud, 'dt.* decision present');
        assert.equal(fraud.id, `fraud-check-${encoding.name}`);
        assert.equal(fraud.version, 'v3');
        assert.equal(fraud.outcome, 'clear');
        assert.equal(fraud.tenant, 'acme');
        assert.deepEqual(
          { id: fraud.actor?.id, type: fraud.actor?.type, version: fraud.actor?.version },
          { id: 'fraud-engine', type: 'system', version: '3.1.0' },
        );
        assert.equal(fraud.evidence.score, 0.12);
        assert.equal(fraud.parent_decision_id, approveId);
        assert.equal(fraud.trace_id, app.traceId);
        // Two dt spans merge into one record; span by span, the parent arrives after them and a
        // third event links it.
        assert.equal(fraud.event_count, encoding.mode === 'batch' ? 2 : 3, 'the two dt spans merged into one record');
      });

      test('decision-trace show prints the decision tree of the trace', async () => {
        const toolId = `tool-select-${encoding.name}`;
        const result = await runCli(['show', toolId, '--endpoint', collector.apiUrl]);
        assert.equal(result.code, 0, result.stderr);
        const lines = result.stdout.split('\n');
        assert.equal(lines[0], `trace ${app.traceId} (4 decisions)`);
        const approveLine = lines.findIndex((l) => l.startsWith('refund.approve v2 → approved (confidence 0.92)'));
        assert.ok(approveLine > 0, result.stdout);
        assert.ok(lines.includes('   evidence amount = 120'), result.stdout);
        assert.ok(lines.includes('   policy refund_limit: pass'), result.stdout);
        const children = lines.filter((l) => /^[├└]─ /.test(l));
        assert.equal(children.length, 3, `three children under the root decision:\n${result.stdout}`);
        assert.ok(
          children.some((l) => l.startsWith(`├─ * tool.select v1 → lookup_order`) || l.startsWith(`└─ * tool.select v1 → lookup_order`)),
          'the asked-for decision is marked',
        );
        assert.ok(children.some((l) => l.includes('fraud.screen v3 → clear')));
        const json = JSON.parse((await runCli(['show', toolId, '--endpoint', collector.apiUrl, '--json'])).stdout);
        assert.equal(json.decision.id, toolId);
        assert.equal(json.trace_decisions.length, 4);
      });

      test('the same export sent twice adds no record and no ledger row', async () => {
        const before = await decisionsOfTrace(collector.apiUrl, app.traceId);
        const rows = ledgerRows(collector.dbPath);
        const result = await exportOnce(exporter, spans);
        assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
        const afterRedelivery = await decisionsOfTrace(collector.apiUrl, app.traceId);
        assert.deepEqual(afterRedelivery, before);
        assert.equal(ledgerRows(collector.dbPath), rows);
      });
    });
  }
});
