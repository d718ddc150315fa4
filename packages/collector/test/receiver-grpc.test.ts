import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { credentials, makeGenericClientConstructor, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { PipelineError } from '@decision-trace/collector';
import { makeProvider, recordRefundDecisions } from '../../../test/helpers/decision-app.js';
import { decodePartialSuccess, decodeRpcStatus, decisionSpan, protobufBody, RawTraceServiceClient } from '../../../test/helpers/otlp-requests.js';
import { bothProtocols, startReceiver, type ReceiverHarness } from '../../../test/helpers/receiver-harness.js';

const MiB = 1024 * 1024;

function detailsOf(error: ServiceError) {
  const [bin] = error.metadata.get('grpc-status-details-bin');
  return bin === undefined ? undefined : decodeRpcStatus(bin as Buffer);
}

describe('OTLP/gRPC receiver', () => {
  let receiver: ReceiverHarness;
  let client: RawTraceServiceClient;
  let gzipClient: RawTraceServiceClient;

  before(async () => {
    receiver = await startReceiver(bothProtocols({}, {}, { max_recv_msg_size_mib: 1 }));
    client = new RawTraceServiceClient(receiver.grpcTarget);
    gzipClient = new RawTraceServiceClient(receiver.grpcTarget, { gzip: true });
  });
  after(async () => {
    client.close();
    gzipClient.close();
    await receiver.stop();
  });

  async function assertStillServes(): Promise<void> {
    const before = receiver.batches.length;
    const answer = await client.export(protobufBody([decisionSpan()]));
    assert.equal(answer.error, undefined, answer.error?.message);
    assert.equal(receiver.batches.length, before + 1);
  }

  test('an export is handed on and answered with an empty ExportTraceServiceResponse', async () => {
    const span = decisionSpan();
    const answer = await client.export(protobufBody([span]));
    assert.equal(answer.error, undefined);
    assert.equal(decodePartialSuccess(answer.response!), undefined);
    assert.equal(receiver.batches.at(-1)!.resourceSpans[0].scopeSpans[0].spans[0].spanId, span.spanId);
  });

  test('gzip-compressed messages are accepted', async () => {
    const span = decisionSpan();
    const answer = await gzipClient.export(protobufBody([span]));
    assert.equal(answer.error, undefined, answer.error?.message);
    assert.equal(receiver.batches.at(-1)!.resourceSpans[0].scopeSpans[0].spans[0].spanId, span.spanId);
  });

  test("the OpenTelemetry JS gRPC exporter with compression: 'gzip' delivers its spans", async () => {
    const exporter = new OTLPTraceExporter({ url: `http://${receiver.grpcTarget}`, compression: 'gzip' as never });
    const { provider, tracer, captured } = makeProvider(exporter);
    const app = recordRefundDecisions(tracer, 'grpc-gzip');
    await provider.forceFlush();
    const spans = captured.getFinishedSpans();
    const result = await new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    const received = receiver.batches.flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    assert.ok(received.some((s) => s.spanId === app.approveSpanId && s.attributes['decision.type'] === 'refund.approve.v2'));
    await provider.shutdown();
  });

  test('partial success: spans with malformed ids are counted in partial_success', async () => {
    const answer = await client.export(protobufBody([decisionSpan(), { ...decisionSpan(), traceId: '0011' }]));
    assert.equal(answer.error, undefined);
    assert.deepEqual(decodePartialSuccess(answer.response!), {
      rejectedSpans: 1,
      errorMessage: 'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[1].traceId is 2 bytes, expected 16',
    });
    assert.equal(receiver.batches.at(-1)!.spanCount, 1);
  });

  test('partial success: all-zero trace or span ids are invalid per the OTLP spec and rejected', async () => {
    const good = decisionSpan();
    const answer = await client.export(protobufBody([{ ...decisionSpan(), spanId: '0'.repeat(16) }, good, { ...decisionSpan(), traceId: '0'.repeat(32) }]));
    assert.equal(answer.error, undefined);
    assert.deepEqual(decodePartialSuccess(answer.response!), {
      rejectedSpans: 2,
      errorMessage: 'rejected 2 spans, first: resourceSpans[0].scopeSpans[0].spans[0].spanId is all zeros, which OTLP defines as invalid',
    });
    assert.deepEqual(
      receiver.batches.at(-1)!.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId),
      [good.spanId],
    );
  });

  test('a message over max_recv_msg_size_mib: RESOURCE_EXHAUSTED, also when it only decompresses to that size', async () => {
    const big = Buffer.alloc(1.5 * MiB);
    const plain = await client.export(big);
    assert.equal(plain.error?.code, status.RESOURCE_EXHAUSTED);
    assert.match(plain.error!.details, /larger than/);
    const bomb = await gzipClient.export(Buffer.alloc(8 * MiB));
    assert.equal(bomb.error?.code, status.RESOURCE_EXHAUSTED);
    assert.match(bomb.error!.details, /decompresses to a size larger than/);
    await assertStillServes();
  });

  test('an undecodable message: INVALID_ARGUMENT with the reason', async () => {
    const answer = await client.export(Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    assert.equal(answer.error?.code, status.INVALID_ARGUMENT);
    assert.match(answer.error!.details, /^cannot decode request: invalid protobuf/);
    await assertStillServes();
  });

  test('the HTTP/2 receive windows, per call and per connection, hold a message of max_recv_msg_size_mib, not 64 KiB', async () => {
    // grpc-js would leave both at 64 KiB: a client with several calls in flight on its channel
    // then waits for a WINDOW_UPDATE after each 64 KiB (grpc-receive-window.ts).
    const session = connect(`http://${receiver.grpcTarget}`);
    try {
      await new Promise<void>((resolve, reject) => {
        session.once('remoteSettings', () => resolve());
        session.once('error', reject);
      });
      // The connection's WINDOW_UPDATE follows the server's SETTINGS; a ping's answer comes after both.
      await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
      assert.equal(session.remoteSettings.initialWindowSize, 1 * MiB);
      assert.equal(session.state.remoteWindowSize, 1 * MiB);
    } finally {
      session.close();
    }
    await assertStillServes();
  });

  test('another service: UNIMPLEMENTED', async () => {
    const identity = (b: Buffer) => b;
    const Logs = makeGenericClientConstructor(
      {
        Export: {
          path: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      'LogsService',
    );
    const logs = new Logs(receiver.grpcTarget, credentials.createInsecure()) as unknown as {
      Export: (b: Buffer, m: Metadata, cb: (e: ServiceError | null) => void) => void;
      close(): void;
    };
    const error = await new Promise<ServiceError | null>((resolve) => logs.Export(Buffer.alloc(0), new Metadata(), resolve));
    logs.close();
    assert.equal(error?.code, status.UNIMPLEMENTED);
  });

  describe('when the pipeline cannot take the data', () => {
    after(() => {
      receiver.failWith = undefined;
    });

    test('back-pressure: UNAVAILABLE with a google.rpc.RetryInfo detail in grpc-status-details-bin', async () => {
      receiver.failWith = new PipelineError('decision store unavailable: database is locked', { retryable: true, retryAfterSeconds: 7 });
      const { error } = await client.export(protobufBody([decisionSpan()]));
      assert.equal(error?.code, status.UNAVAILABLE);
      assert.equal(error!.details, 'decision store unavailable: database is locked');
      assert.deepEqual(detailsOf(error!), {
        code: status.UNAVAILABLE,
        message: 'decision store unavailable: database is locked',
        retryDelaySeconds: 7,
        detailTypes: ['type.googleapis.com/google.rpc.RetryInfo'],
      });
    });

    test('throttling: RESOURCE_EXHAUSTED with RetryInfo', async () => {
      receiver.failWith = new PipelineError('over the rate limit', { retryable: true, throttled: true, retryAfterSeconds: 3 });
      const { error } = await client.export(protobufBody([decisionSpan()]));
      assert.equal(error?.code, status.RESOURCE_EXHAUSTED);
      assert.equal(detailsOf(error!)?.retryDelaySeconds, 3);
    });

    test('a permanent error: INVALID_ARGUMENT without RetryInfo', async () => {
      receiver.failWith = new PipelineError('decision rejected by a contract', { retryable: false });
      const { error } = await client.export(protobufBody([decisionSpan()]));
      assert.equal(error?.code, status.INVALID_ARGUMENT);
      assert.equal(detailsOf(error!), undefined);
    });

    test('an unexpected failure: UNAVAILABLE (retryable), never INTERNAL', async () => {
      receiver.failWith = new Error('boom');
      const { error } = await client.export(protobufBody([decisionSpan()]));
      assert.equal(error?.code, status.UNAVAILABLE);
      assert.equal(detailsOf(error!)?.retryDelaySeconds, 1);
      receiver.failWith = undefined;
      await assertStillServes();
    });
  });
});
