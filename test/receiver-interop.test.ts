import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord, ResourceSpans, Span } from '@decision-trace/model';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeProvider, recordRefundDecisions } from './helpers/decision-app.js';
import { decisionSpan, randomHex } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';

const run = promisify(execFile);

async function recordsOfTrace(collector: RunningCollector, traceId: string): Promise<DecisionRecord[]> {
  const res = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${traceId}&limit=100`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { decisions: DecisionRecord[] }).decisions;
}

/**
 * A request in the shape of opentelemetry-proto's examples/trace.json: upper-case hex ids,
 * timestamps as JSON numbers, `kind` as an integer, scope attributes; here with decision
 * attributes so that it becomes a record.
 */
const EXAMPLE_SHAPED_REQUEST = `{
  "resourceSpans": [
    {
      "resource": {
        "attributes": [
          { "key": "service.name", "value": { "stringValue": "loan.service" } }
        ]
      },
      "scopeSpans": [
        {
          "scope": {
            "name": "loan.instrumentation",
            "version": "2.1.0",
            "attributes": [
              { "key": "loan.scope.attribute", "value": { "stringValue": "a scope attribute" } }
            ]
          },
          "spans": [
            {
              "traceId": "7A3C9E10B2D44F6A8E1B0C2D3E4F5A6B",
              "spanId": "C0FFEE00DEADBEEF",
              "parentSpanId": "C0FFEE00DEADBEE0",
              "name": "loan.decide",
              "startTimeUnixNano": 1700000000000000000,
              "endTimeUnixNano": 1700000000500000000,
              "kind": 2,
              "attributes": [
                { "key": "decision.type", "value": { "stringValue": "loan.approve.v1" } },
                { "key": "decision.outcome", "value": { "stringValue": "approved" } },
                { "key": "decision.confidence", "value": { "doubleValue": 0.81 } },
                { "key": "decision.evidence.income", "value": { "intValue": "52000" } }
              ]
            }
          ]
        }
      ]
    }
  ]
}`;

describe('interop with real OTLP clients', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  const exporters: Array<{ name: string; make: (c: RunningCollector) => SpanExporter }> = [
    { name: '@opentelemetry/exporter-trace-otlp-http (JSON)', make: (c) => new OtlpHttpJsonExporter({ url: `${c.otlpHttpUrl}/v1/traces` }) },
    {
      name: '@opentelemetry/exporter-trace-otlp-http (JSON, gzip)',
      make: (c) => new OtlpHttpJsonExporter({ url: `${c.otlpHttpUrl}/v1/traces`, compression: 'gzip' as never }),
    },
    { name: '@opentelemetry/exporter-trace-otlp-proto', make: (c) => new OtlpProtoExporter({ url: `${c.otlpHttpUrl}/v1/traces` }) },
    {
      name: '@opentelemetry/exporter-trace-otlp-proto (gzip)',
      make: (c) => new OtlpProtoExporter({ url: `${c.otlpHttpUrl}/v1/traces`, compression: 'gzip' as never }),
    },
    { name: '@opentelemetry/exporter-trace-otlp-grpc', make: (c) => new OtlpGrpcExporter({ url: `http://${c.grpcEndpoint}` }) },
    {
      name: '@opentelemetry/exporter-trace-otlp-grpc (gzip)',
      make: (c) => new OtlpGrpcExporter({ url: `http://${c.grpcEndpoint}`, compression: 'gzip' as never }),
    },
  ];
  for (const { name, make } of exporters) {
    test(`${name} delivers spans that become records`, async () => {
      const { provider, tracer } = makeProvider(make(collector));
      const app = recordRefundDecisions(tracer, name);
      await provider.forceFlush();
      await provider.shutdown();
      const records = await recordsOfTrace(collector, app.traceId);
      assert.deepEqual(records.map((r) => r.type).sort(), ['fraud.screen', 'refund.approve', 'tool.select', 'tool.select']);
      const approve = records.find((r) => r.type === 'refund.approve')!;
      assert.equal(approve.span_id, app.approveSpanId);
      assert.equal(approve.service_name, 'refund-service');
    });
  }

  test('a request shaped like opentelemetry-proto examples/trace.json, posted with curl, is accepted', async () => {
    const file = join(collector.dir, 'example-trace.json');
    writeFileSync(file, EXAMPLE_SHAPED_REQUEST);
    const { stdout } = await run('curl', [
      '-sS',
      '-X',
      'POST',
      `${collector.otlpHttpUrl}/v1/traces`,
      '-H',
      'Content-Type: application/json',
      '--data-binary',
      `@${file}`,
      '-w',
      '\n%{http_code} %{content_type}',
    ]);
    const [body, statusLine] = stdout.split('\n');
    assert.equal(statusLine, '200 application/json');
    assert.equal(body, '{}', 'nothing rejected');
    const [record] = await recordsOfTrace(collector, '7a3c9e10b2d44f6a8e1b0c2d3e4f5a6b');
    assert.ok(record, 'upper-case hex ids are read as the lower-case ids records use');
    assert.equal(record.span_id, 'c0ffee00deadbeef');
    assert.equal(record.type, 'loan.approve');
    assert.equal(record.outcome, 'approved');
    assert.deepEqual(record.evidence, { income: 52000 });
    assert.equal(record.service_name, 'loan.service');
    assert.equal(record.start_time, '2023-11-14T22:13:20.000Z', 'a timestamp written as a JSON number is read exactly');
  });

  test("a request as the OpenTelemetry Collector's otlphttp exporter forwards it (protobuf, gzip) is accepted", async () => {
    // The Collector batches several services into one request and keeps events, links,
    // status and flags.
    const traceId = randomHex(16);
    const withEverything = (span: Span): Span => ({
      ...span,
      flags: 0x301,
      traceState: 'vendor=1',
      events: [{ timeUnixNano: span.startTimeUnixNano + 10n, name: 'retry', attributes: { attempt: 2 }, droppedAttributesCount: 0 }],
      links: [{ traceId: randomHex(16), spanId: randomHex(8), traceState: '', attributes: {}, droppedAttributesCount: 0, flags: 1 }],
      status: { code: 1, message: '' },
    });
    const resourceSpans: ResourceSpans[] = ['checkout', 'payments'].map((service) => ({
      resource: { attributes: { 'service.name': service, 'k8s.pod.name': `${service}-7d9f` }, droppedAttributesCount: 0 },
      scopeSpans: [
        {
          scope: { name: 'io.opentelemetry.spring', version: '2.9.0', attributes: {}, droppedAttributesCount: 0 },
          spans: [withEverything(decisionSpan({ traceId, decisionId: `forwarded-${service}` }))],
          schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    }));
    const body = gzipSync(encodeTraceRequestProtobuf(resourceSpans));
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, {
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'gzip',
        'Accept-Encoding': 'gzip',
        'User-Agent': 'OpenTelemetry Collector Contrib/0.115.0 (linux/amd64)',
      },
      body,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/x-protobuf');
    const records = await recordsOfTrace(collector, traceId);
    assert.deepEqual(records.map((r) => [r.id, r.service_name]).sort(), [
      ['forwarded-checkout', 'checkout'],
      ['forwarded-payments', 'payments'],
    ]);
  });
});
