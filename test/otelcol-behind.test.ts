import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { OTLP_PROTO_DIR, TRACE_SERVICE_PROTO_FILE } from '@decision-trace/otlp';
import { eventually, launchCollector, postTraces, type CollectorProcess } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';
import { readFileExporterLines, skipWithoutOtelcol, startOtelcol, type RunningOtelcol } from './helpers/otelcol.js';

/**
 * The OpenTelemetry Collector behind ours, as users deploy it (we are the agent, otelcol the
 * gateway): our otlp (gRPC) and otlphttp (protobuf, JSON) exporters, behind the decision and
 * batch processors of a usual pipeline, send into otelcol's otlp receiver, and its file exporter writes down what arrived. Every resource, scope, span,
 * attribute (value types included: an integral double stays a double), event, link, status,
 * trace state, flag and dropped count must be what our receiver was given.
 */

const skip = skipWithoutOtelcol();

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
root.loadSync(TRACE_SERVICE_PROTO_FILE);
const RequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const TO_OBJECT = { longs: String, bytes: String, enums: Number, defaults: true, arrays: true, oneofs: false } as const;

const hex = (text: string) => Buffer.from(text, 'hex');
const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

/** Every AnyValue shape, including the ones a JavaScript number or an empty value can lose. */
function everyValueType(prefix: string) {
  return [
    kv(`${prefix}.string`, { stringValue: 'text' }),
    kv(`${prefix}.string.empty`, { stringValue: '' }),
    kv(`${prefix}.bool.false`, { boolValue: false }),
    kv(`${prefix}.int`, { intValue: 3 }),
    kv(`${prefix}.int.zero`, { intValue: 0 }),
    kv(`${prefix}.int.max`, { intValue: '9223372036854775807' }),
    kv(`${prefix}.int.min`, { intValue: '-9223372036854775808' }),
    kv(`${prefix}.int.unsafe`, { intValue: '9007199254740993' }),
    kv(`${prefix}.double.integral`, { doubleValue: 3 }),
    kv(`${prefix}.double.zero`, { doubleValue: 0 }),
    kv(`${prefix}.double.fraction`, { doubleValue: 0.25 }),
    kv(`${prefix}.double.big`, { doubleValue: 1e300 }),
    kv(`${prefix}.double.nan`, { doubleValue: NaN }),
    kv(`${prefix}.double.inf`, { doubleValue: -Infinity }),
    kv(`${prefix}.bytes`, { bytesValue: Buffer.from([0, 1, 2, 250, 255]) }),
    kv(`${prefix}.bytes.empty`, { bytesValue: Buffer.alloc(0) }),
    kv(`${prefix}.empty`, {}),
    kv(`${prefix}.array`, {
      arrayValue: {
        values: [
          { stringValue: 'a' },
          { intValue: 1 },
          { doubleValue: 2 },
          { doubleValue: 2.5 },
          { boolValue: true },
          {},
          { arrayValue: { values: [{ doubleValue: 7 }] } },
        ],
      },
    }),
    kv(`${prefix}.array.empty`, { arrayValue: {} }),
    kv(`${prefix}.kvlist`, {
      kvlistValue: { values: [kv('n', { doubleValue: 1 }), kv('i', { intValue: 1 }), kv('deep', { kvlistValue: { values: [kv('d', { doubleValue: 4 })] } })] },
    }),
    kv(`${prefix}.kvlist.empty`, { kvlistValue: {} }),
  ];
}

/** A request using every field of the trace model a forwarder could lose. */
function richRequest(): Uint8Array {
  const traceA = hex('0af7651916cd43dd8448eb211c80319c');
  const traceB = hex('4bf92f3577b34da6a3ce929d0e0e4736');
  const message = RequestType.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [kv('service.name', { stringValue: 'refund-service' }), ...everyValueType('resource')], droppedAttributesCount: 2 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
        scopeSpans: [
          {
            scope: { name: 'refund-agent', version: '2.1.0', attributes: everyValueType('scope'), droppedAttributesCount: 1 },
            schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
            spans: [
              {
                traceId: traceA,
                spanId: hex('00f067aa0ba902b7'),
                traceState: 'vendor1=abc,ot=th:8',
                flags: 0x301,
                name: 'refund.decide',
                kind: 2,
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: '1700000000987654321',
                attributes: everyValueType('span'),
                droppedAttributesCount: 3,
                events: [
                  { timeUnixNano: '1700000000200000000', name: 'decision', attributes: everyValueType('event'), droppedAttributesCount: 1 },
                  { timeUnixNano: '1700000000300000000', name: '' },
                ],
                droppedEventsCount: 4,
                links: [
                  {
                    traceId: traceB,
                    spanId: hex('b7ad6b7169203331'),
                    traceState: 'rojo=00f067aa0ba902b7',
                    attributes: everyValueType('link'),
                    droppedAttributesCount: 1,
                    flags: 0x101,
                  },
                  { traceId: traceB, spanId: hex('1111111111111111') },
                ],
                droppedLinksCount: 5,
                status: { code: 2, message: 'policy check failed' },
              },
              {
                traceId: traceA,
                spanId: hex('53995c3f42cd8ad8'),
                parentSpanId: hex('00f067aa0ba902b7'),
                name: 'SELECT orders',
                kind: 3,
                startTimeUnixNano: '1700000000200000000',
                endTimeUnixNano: '1700000000250000000',
                status: { code: 1, message: '' },
              },
            ],
          },
          {
            scope: { name: '' },
            spans: [
              {
                traceId: traceB,
                spanId: hex('1111111111111111'),
                name: 'GET /quote',
                kind: 4,
                startTimeUnixNano: '1700000001000000000',
                endTimeUnixNano: '1700000001500000000',
                status: { code: 0, message: 'unset but described' },
              },
            ],
          },
        ],
      },
      {
        resource: { attributes: [kv('service.name', { stringValue: 'pricing' })] },
        scopeSpans: [
          {
            scope: { name: 'pricing' },
            spans: [
              {
                traceId: traceB,
                spanId: hex('2222222222222222'),
                parentSpanId: hex('1111111111111111'),
                name: 'quote',
                kind: 5,
                startTimeUnixNano: '1700000001100000000',
                endTimeUnixNano: '1700000001400000000',
                status: { code: 1, message: 'ok' },
              },
            ],
          },
        ],
      },
    ],
  });
  return RequestType.encode(message).finish();
}

/** The wire message as a plain object, every field present (defaults included), 64-bit ints as text. */
function wireObject(bytes: Uint8Array): Record<string, unknown> {
  return RequestType.toObject(RequestType.decode(bytes), TO_OBJECT);
}

/**
 * One line of otelcol's file exporter (the OTLP JSON mapping: ids in hex) as the same plain
 * object: ids are turned into bytes, then protobufjs reads the rest of the mapping.
 */
function fileLineObject(line: string): Record<string, unknown> {
  const json = JSON.parse(line, (key, value) => {
    if ((key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string') return Buffer.from(value, 'hex').toString('base64');
    return value;
  });
  return RequestType.toObject(RequestType.fromObject(json), TO_OBJECT);
}

/**
 * Every span with the resource and scope it sits under (and their schema URLs), in span id
 * order: batch processors, ours and otelcol's, may regroup spans into other requests, and that
 * is not a loss; anything else about a span is.
 */
function spansWithContext(...requests: Array<Record<string, unknown>>): unknown[] {
  const out: Array<{ id: string; entry: unknown }> = [];
  for (const resourceSpans of requests.flatMap((request) => request.resourceSpans as any[])) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        out.push({
          id: `${span.traceId}/${span.spanId}`,
          entry: {
            resource: resourceSpans.resource,
            resourceSchemaUrl: resourceSpans.schemaUrl,
            scope: scopeSpans.scope,
            scopeSchemaUrl: scopeSpans.schemaUrl,
            span,
          },
        });
      }
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((x) => x.entry);
}

describe('otelcol behind us: what its file exporter writes equals what we received', { skip }, () => {
  let ours: CollectorProcess;
  let otelcol: RunningOtelcol;
  const sent = Buffer.from(richRequest());
  const outputs = { grpc: '', proto: '', json: '' };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-otelcol-behind-'));
    const [grpcPort, protoPort, jsonPort] = [await freePort(), await freePort(), await freePort()];
    for (const name of Object.keys(outputs) as Array<keyof typeof outputs>) outputs[name] = join(dir, `${name}.jsonl`);
    // One otlp receiver per exporter of ours, each with a file exporter of its own, so every line
    // written says which of our exporters delivered it.
    otelcol = await startOtelcol({
      receivers: {
        'otlp/grpc': { protocols: { grpc: { endpoint: `127.0.0.1:${grpcPort}` } } },
        'otlp/proto': { protocols: { http: { endpoint: `127.0.0.1:${protoPort}` } } },
        'otlp/json': { protocols: { http: { endpoint: `127.0.0.1:${jsonPort}` } } },
      },
      exporters: {
        'file/grpc': { path: outputs.grpc, flush_interval: '100ms' },
        'file/proto': { path: outputs.proto, flush_interval: '100ms' },
        'file/json': { path: outputs.json, flush_interval: '100ms' },
      },
      service: {
        pipelines: {
          'traces/grpc': { receivers: ['otlp/grpc'], exporters: ['file/grpc'] },
          'traces/proto': { receivers: ['otlp/proto'], exporters: ['file/proto'] },
          'traces/json': { receivers: ['otlp/json'], exporters: ['file/json'] },
        },
      },
    });
    const [http, health] = [await freePort(), await freePort()];
    const configFile = join(dir, 'collector-config.yaml');
    writeFileSync(
      configFile,
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
processors:
  decision: {}
  batch:
    timeout: 100ms
exporters:
  otlp:
    endpoint: 127.0.0.1:${grpcPort}
    tls:
      insecure: true
  otlphttp/proto:
    endpoint: http://127.0.0.1:${protoPort}
  otlphttp/json:
    endpoint: http://127.0.0.1:${jsonPort}
    encoding: json
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision, batch]
      exporters: [otlp, otlphttp/proto, otlphttp/json]
  telemetry:
    logs:
      level: error
    metrics:
      level: none
`,
    );
    ours = await launchCollector(configFile, `http://127.0.0.1:${health}/`);
    assert.equal((await postTraces(`http://127.0.0.1:${http}`, sent)).status, 200);
    // Our batch processor may send the spans in more than one request (decision spans apart).
    const spanCount = (path: string) => readFileExporterLines(path).reduce((n, line) => n + spansWithContext(fileLineObject(line)).length, 0);
    const arrived = await eventually(() => Object.values(outputs).every((path) => spanCount(path) >= 4), 15_000);
    assert.ok(arrived, `otelcol wrote every exporter's spans\n${otelcol.logs().slice(-3000)}`);
  });

  after(async () => {
    await ours?.stop();
    await otelcol?.stop();
  });

  const cases = [
    ['otlp (gRPC, gzip)', 'grpc'],
    ['otlphttp (protobuf, gzip)', 'proto'],
    ['otlphttp (JSON, gzip)', 'json'],
  ] as const;
  for (const [name, key] of cases) {
    test(`${name}: every field and value type as sent`, () => {
      const received = spansWithContext(...readFileExporterLines(outputs[key]).map(fileLineObject));
      const expected = spansWithContext(wireObject(sent));
      const names = (entries: unknown[]) => entries.map((entry) => (entry as { span: { name: string } }).span.name);
      assert.deepEqual(names(received), names(expected), 'each span once');
      assert.deepEqual(received, expected);
    });
  }

  test('an integral double stays a double, next to an int of the same value', () => {
    const spans = readFileExporterLines(outputs.proto).flatMap((line) =>
      JSON.parse(line).resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)),
    );
    const decided = spans.find((span: any) => span.name === 'refund.decide');
    const attributes = decided.attributes as Array<{ key: string; value: Record<string, unknown> }>;
    const value = (key: string) => attributes.find((a) => a.key === key)?.value;
    assert.deepEqual(value('span.double.integral'), { doubleValue: 3 });
    assert.deepEqual(value('span.int'), { intValue: '3' });
    assert.deepEqual(value('span.array'), {
      arrayValue: {
        values: [
          { stringValue: 'a' },
          { intValue: '1' },
          { doubleValue: 2 },
          { doubleValue: 2.5 },
          { boolValue: true },
          {},
          { arrayValue: { values: [{ doubleValue: 7 }] } },
        ],
      },
    });
  });
});
