import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { OTLP_PROTO_DIR, TRACE_SERVICE_PROTO_FILE, decodeTraceRequestJson, decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import {
  collectorEndpoints,
  eventually,
  launchTestCollector,
  postTraces,
  startGrpcSink,
  startHttpSink,
  type CollectorProcess,
  type OtlpSink,
} from './delivery-sink.js';

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
root.loadSync(TRACE_SERVICE_PROTO_FILE);
const RequestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

/** The wire message as a plain object, every field present (defaults included), 64-bit ints as text. */
function wireObject(bytes: Uint8Array): Record<string, unknown> {
  return RequestType.toObject(RequestType.decode(bytes), { longs: String, bytes: String, enums: Number, defaults: true, arrays: true, oneofs: false });
}

const hex = (text: string) => Buffer.from(text, 'hex');
const kv = (key: string, value: Record<string, unknown>) => ({ key, value });

/** A request using every part of the trace model a forwarder could lose. */
function richRequest(): Uint8Array {
  const traceA = hex('0af7651916cd43dd8448eb211c80319c');
  const traceB = hex('4bf92f3577b34da6a3ce929d0e0e4736');
  const message = RequestType.fromObject({
    resourceSpans: [
      {
        resource: {
          attributes: [
            kv('service.name', { stringValue: 'refund-service' }),
            kv('service.instance.id', { stringValue: 'i-42' }),
            kv('host.cpu.count', { intValue: 8 }),
            kv('sample.ratio', { doubleValue: 0.25 }),
            kv('feature.enabled', { boolValue: true }),
            kv('deploy.regions', { arrayValue: { values: [{ stringValue: 'eu' }, { stringValue: 'us' }, { intValue: 3 }] } }),
            kv('deploy.meta', { kvlistValue: { values: [kv('team', { stringValue: 'payments' }), kv('tier', { intValue: 1 })] } }),
            kv('build.digest', { bytesValue: Buffer.from([1, 2, 3, 250]) }),
            kv('empty.text', { stringValue: '' }),
          ],
          droppedAttributesCount: 2,
        },
        schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
        scopeSpans: [
          {
            scope: { name: 'refund-agent', version: '2.1.0', attributes: [kv('scope.kind', { stringValue: 'agent' })], droppedAttributesCount: 1 },
            schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
            spans: [
              {
                traceId: traceA,
                spanId: hex('00f067aa0ba902b7'),
                traceState: 'vendor1=abc,vendor2=def',
                flags: 257,
                name: 'refund.decide',
                kind: 2,
                startTimeUnixNano: '1700000000123456789',
                endTimeUnixNano: '1700000000987654321',
                attributes: [
                  kv('decision.type', { stringValue: 'refund.approve.v2' }),
                  kv('decision.outcome', { stringValue: 'approved' }),
                  kv('decision.confidence', { doubleValue: 0.92 }),
                  kv('decision.evidence.amount', { intValue: '9007199254740993' }),
                ],
                droppedAttributesCount: 3,
                events: [
                  {
                    timeUnixNano: '1700000000200000000',
                    name: 'decision',
                    attributes: [kv('decision.type', { stringValue: 'refund.review' })],
                    droppedAttributesCount: 1,
                  },
                  { timeUnixNano: '1700000000300000000', name: 'exception', attributes: [kv('exception.message', { stringValue: 'timeout' })] },
                ],
                droppedEventsCount: 4,
                links: [
                  {
                    traceId: traceB,
                    spanId: hex('b7ad6b7169203331'),
                    traceState: 'rojo=00f067aa0ba902b7',
                    attributes: [kv('link.kind', { stringValue: 'follows' })],
                    droppedAttributesCount: 1,
                    flags: 1,
                  },
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
                attributes: [kv('db.system', { stringValue: 'postgresql' })],
                status: { code: 1, message: '' },
              },
            ],
          },
          {
            scope: { name: 'http-client' },
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

/**
 * Spans forwarded by the otlphttp (protobuf + gzip, and JSON) and otlp (gRPC + gzip) exporters
 * arrive field for field as the client sent them: resource, scopes, attributes of every value
 * type, events, links, status, trace state, flags and dropped counts.
 */
describe('forwarded requests compared field by field with what the sinks receive', () => {
  let protoSink: OtlpSink;
  let jsonSink: OtlpSink;
  let grpcSink: OtlpSink;
  let collector: CollectorProcess;
  let otlpUrl: string;
  const sent = Buffer.from(richRequest());

  before(async () => {
    [protoSink, jsonSink, grpcSink] = await Promise.all([startHttpSink(), startHttpSink(), startGrpcSink()]);
    const endpoints = await collectorEndpoints();
    otlpUrl = endpoints.otlpUrl;
    const dir = mkdtempSync(join(tmpdir(), 'dt-fidelity-'));
    collector = await launchTestCollector(join(dir, 'collector-config.yaml'), endpoints, {
      components: `processors:
  decision: {}
exporters:
  decisions:
    storage: sqlite:${join(dir, 'decisions.db')}
  otlphttp/proto:
    endpoint: ${protoSink.url}/
    headers:
      x-scope-orgid: acme
  otlphttp/json:
    traces_endpoint: ${jsonSink.url}/custom/traces
    encoding: json
    compression: none
  otlp:
    endpoint: ${grpcSink.url}
    headers:
      x-scope-orgid: acme
    tls:
      insecure: true
`,
      pipelines: `    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions, otlphttp/proto, otlphttp/json, otlp]
`,
    });
    assert.equal((await postTraces(otlpUrl, sent)).status, 200);
    const all = [protoSink, jsonSink, grpcSink];
    assert.ok(await eventually(() => all.every((s) => s.requests.length >= 1), 10_000), 'every sink got the request');
  });

  after(async () => {
    await collector?.stop();
    await Promise.all([protoSink?.close(), jsonSink?.close(), grpcSink?.close()]);
  });

  test('OTLP/HTTP protobuf: the same message, gzip-compressed, at /v1/traces with the configured headers', () => {
    assert.equal(protoSink.requests.length, 1);
    const [received] = protoSink.requests;
    assert.equal(received.path, '/v1/traces');
    assert.equal(received.contentType, 'application/x-protobuf');
    assert.equal((received.headers as Record<string, string>)['content-encoding'], 'gzip');
    assert.equal((received.headers as Record<string, string>)['x-scope-orgid'], 'acme');
    assert.deepEqual(wireObject(received.body), wireObject(sent));
  });

  test('OTLP/gRPC: the same message, with the configured metadata', () => {
    assert.equal(grpcSink.requests.length, 1);
    const [received] = grpcSink.requests;
    assert.equal(received.path, '/opentelemetry.proto.collector.trace.v1.TraceService/Export');
    assert.equal((received.headers as Record<string, string>)['x-scope-orgid'], 'acme');
    assert.deepEqual(wireObject(received.body), wireObject(sent));
  });

  test('OTLP/HTTP JSON: the same spans at traces_endpoint, uncompressed', () => {
    assert.equal(jsonSink.requests.length, 1);
    const [received] = jsonSink.requests;
    assert.equal(received.path, '/custom/traces');
    assert.equal(received.contentType, 'application/json');
    assert.equal((received.headers as Record<string, string>)['content-encoding'], undefined);
    assert.deepEqual(decodeTraceRequestJson(received.body).resourceSpans, decodeTraceRequestProtobuf(sent).resourceSpans);
  });
});
