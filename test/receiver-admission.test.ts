import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type ServiceError } from '@grpc/grpc-js';
import { otlpReceiverFactory } from '../packages/collector/src/receivers/otlp/factory.js';
import { decisionSpan, decodeRpcStatus, protobufBody, RawTraceServiceClient } from './helpers/otlp-requests.js';
import { bothProtocols, startReceiver, type ReceiverHarness } from './helpers/receiver-harness.js';

// Issue #19, memory: requests waiting for the pipeline (a busy store) are held in memory, so
// without admission the receiver's memory grew with the number of clients until the process ran
// out, and no client was ever told to back off. admission.request_limit_mib bounds the bytes of
// requests held at once, over both protocols; beyond it a client gets 503 / UNAVAILABLE with a
// retry delay (bench/memory-overload-case.mjs measures the RSS this keeps).

/** A request of about 42 KiB: 300 decision spans. */
function requestBody(): Buffer {
  return protobufBody(Array.from({ length: 300 }, () => decisionSpan()));
}

describe('otlp receiver admission (request_limit_mib)', () => {
  let receiver: ReceiverHarness;
  let grpc: RawTraceServiceClient;
  let release: () => void = () => {};
  let held: Promise<void> = Promise.resolve();

  before(async () => {
    // 64 KiB: one request of ~42 KiB fits, a second one does not while the first is held.
    receiver = await startReceiver(bothProtocols({ admission: { request_limit_mib: 1 / 16 } }));
    grpc = new RawTraceServiceClient(receiver.grpcTarget);
  });
  after(async () => {
    grpc.close();
    await receiver.stop();
  });

  /** The pipeline holds the next request until `release()`: a store that has not committed yet. */
  function holdNextRequest(): Promise<void> {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    held = new Promise<void>((resolve) => (release = resolve));
    receiver.duringConsume = async () => {
      receiver.duringConsume = undefined;
      entered();
      await held;
    };
    return inside;
  }

  const post = (body: Buffer) => fetch(`${receiver.httpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });

  test('defaults to 32 MiB (room beside one maximum-size HTTP request), shared by both protocols', () => {
    const config = otlpReceiverFactory.configSchema.parse({ protocols: { http: {} } }) as { admission: { request_limit_mib: number } };
    assert.equal(config.admission.request_limit_mib, 32);
  });

  test('HTTP: a request beyond the limit while another is held gets 503 with Retry-After, and is taken once the first is answered', async () => {
    const body = requestBody();
    const inside = holdNextRequest();
    const first = post(body);
    await inside;

    const refused = await post(requestBody());
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    const statusBody = decodeRpcStatus(new Uint8Array(await refused.arrayBuffer()));
    assert.equal(statusBody.code, status.UNAVAILABLE);
    assert.match(statusBody.message, /admission\.request_limit_mib/);
    assert.equal(statusBody.retryDelaySeconds, 1);

    release();
    assert.equal((await first).status, 200);
    const batches = receiver.batches.length;
    assert.equal((await post(requestBody())).status, 200, 'the budget is given back when a request is answered');
    assert.equal(receiver.batches.length, batches + 1);
  });

  test('gRPC: the same budget: UNAVAILABLE with RetryInfo while an HTTP request holds it', async () => {
    const inside = holdNextRequest();
    const first = post(requestBody());
    await inside;

    const answer = await grpc.export(requestBody());
    assert.equal(answer.error?.code, status.UNAVAILABLE);
    const [bin] = (answer.error as ServiceError).metadata.get('grpc-status-details-bin');
    assert.equal(decodeRpcStatus(bin as Buffer).retryDelaySeconds, 1);

    release();
    assert.equal((await first).status, 200);
    const again = await grpc.export(requestBody());
    assert.equal(again.error, undefined, again.error?.message);
  });

  test('a single request larger than the limit is still taken when nothing else is held', async () => {
    const large = protobufBody(Array.from({ length: 600 }, () => decisionSpan()));
    assert.ok(large.length > 64 * 1024);
    assert.equal((await post(large)).status, 200);
    const answer = await grpc.export(large);
    assert.equal(answer.error, undefined, answer.error?.message);
  });
});
