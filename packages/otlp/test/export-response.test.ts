import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OTLP_PROTO_DIR, TRACE_SERVICE_PROTO_FILE, encodeExportResponse } from '../src/index.js';

const protobuf = createRequire(import.meta.url)('protobufjs') as typeof import('protobufjs');
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => OTLP_PROTO_DIR + target;
root.loadSync(TRACE_SERVICE_PROTO_FILE);
const ResponseType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');

function decodeProtobufResponse(body: Uint8Array): Record<string, unknown> {
  return ResponseType.toObject(ResponseType.decode(body), { longs: String });
}

describe('ExportTraceServiceResponse', () => {
  test('full success is an empty message in both formats', () => {
    const body = encodeExportResponse({ rejectedSpans: 0, errorMessage: '' }, 'protobuf');
    assert.equal(body.length, 0);
    assert.deepStrictEqual(decodeProtobufResponse(body), {});
    assert.equal(encodeExportResponse({ rejectedSpans: 0, errorMessage: '' }, 'json'), '{}');
  });

  test('partial success in protobuf carries the count and message', () => {
    const body = encodeExportResponse({ rejectedSpans: 3, errorMessage: 'rejected 3 spans' }, 'protobuf');
    assert.deepStrictEqual(decodeProtobufResponse(body), {
      partialSuccess: { rejectedSpans: '3', errorMessage: 'rejected 3 spans' },
    });
    // The OpenTelemetry JS exporter's own response parser reads it the same way.
    const parsed = ProtobufTraceSerializer.deserializeResponse(body);
    assert.equal(Number(parsed.partialSuccess?.rejectedSpans), 3);
    assert.equal(parsed.partialSuccess?.errorMessage, 'rejected 3 spans');
  });

  test('partial success in JSON uses the OTLP JSON mapping', () => {
    const body = encodeExportResponse({ rejectedSpans: 2, errorMessage: 'bad ids' }, 'json');
    assert.equal(body, '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad ids"}}');
    const parsed = JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(body));
    assert.deepStrictEqual(parsed, { partialSuccess: { rejectedSpans: '2', errorMessage: 'bad ids' } });
  });

  test('a warning without rejected spans still sets partial_success', () => {
    const body = encodeExportResponse({ rejectedSpans: 0, errorMessage: 'attributes truncated' }, 'protobuf');
    assert.deepStrictEqual(decodeProtobufResponse(body), { partialSuccess: { errorMessage: 'attributes truncated' } });
    assert.equal(
      encodeExportResponse({ rejectedSpans: 0, errorMessage: 'attributes truncated' }, 'json'),
      '{"partialSuccess":{"rejectedSpans":"0","errorMessage":"attributes truncated"}}',
    );
  });
});
