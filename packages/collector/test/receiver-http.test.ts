import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { PipelineError } from '@decision-trace/collector';
import { decodePartialSuccess, decodeRpcStatus, decisionSpan, jsonBody, protobufBody } from '../../../test/helpers/otlp-requests.js';
import { rawRequest, type RawResponse } from '../../../test/helpers/raw-http.js';
import { bothProtocols, startReceiver, type ReceiverHarness } from '../../../test/helpers/receiver-harness.js';

const LIMIT = 64 * 1024;
const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** The google.rpc.Status of an error answer, in whichever encoding it came. */
function statusOf(res: RawResponse): { code: number; message: string; retryDelaySeconds?: number } {
  if (res.headers['content-type'] === 'application/json') {
    const body = JSON.parse(res.body.toString('utf8')) as { code: number; message: string; details?: Array<{ retryDelay: string }> };
    const delay = body.details?.[0]?.retryDelay;
    return { code: body.code, message: body.message, retryDelaySeconds: delay === undefined ? undefined : Number.parseFloat(delay) };
  }
  assert.equal(res.headers['content-type'], 'application/x-protobuf');
  return decodeRpcStatus(res.body);
}

describe('OTLP/HTTP receiver', () => {
  let receiver: ReceiverHarness;
  let url: string;
  before(async () => {
    receiver = await startReceiver(bothProtocols({}, { max_request_body_size: LIMIT }));
    url = `${receiver.httpUrl}/v1/traces`;
  });
  after(() => receiver.stop());

  async function assertStillServes(): Promise<void> {
    const before = receiver.batches.length;
    const res = await rawRequest(url, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(receiver.batches.length, before + 1, 'the receiver keeps handing data on');
  }

  describe('answers in the encoding of the request', () => {
    test('protobuf in, protobuf ExportTraceServiceResponse out; the spans are handed on', async () => {
      const spans = [decisionSpan(), decisionSpan()];
      const res = await rawRequest(url, { headers: PROTOBUF, body: protobufBody(spans) });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/x-protobuf');
      assert.equal(decodePartialSuccess(res.body), undefined, 'no partial_success when everything was accepted');
      const batch = receiver.batches.at(-1)!;
      assert.equal(batch.spanCount, 2);
      assert.deepEqual(
        batch.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId),
        spans.map((s) => s.spanId),
      );
      assert.equal(batch.tenant, undefined, 'no tenant without auth');
    });

    test('JSON (with a charset parameter) in, JSON out', async () => {
      const res = await rawRequest(url, { headers: { 'content-type': 'application/json; charset=utf-8' }, body: jsonBody([decisionSpan()]) });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(res.body.toString()), {});
    });

    test('application/protobuf is protobuf too', async () => {
      const res = await rawRequest(url, { headers: { 'content-type': 'application/protobuf' }, body: protobufBody([decisionSpan()]) });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/x-protobuf');
    });

    test('gzip and deflate bodies', async () => {
      for (const [encoding, compress] of [
        ['gzip', gzipSync],
        ['deflate', deflateSync],
      ] as const) {
        const before = receiver.batches.length;
        const res = await rawRequest(url, { headers: { ...PROTOBUF, 'content-encoding': encoding }, body: compress(protobufBody([decisionSpan()])) });
        assert.equal(res.status, 200, `${encoding}: ${res.body}`);
        assert.equal(receiver.batches.length, before + 1);
      }
    });

    test('an empty request is a success with nothing handed on', async () => {
      const before = receiver.batches.length;
      const res = await rawRequest(url, { headers: PROTOBUF, body: Buffer.alloc(0) });
      assert.equal(res.status, 200);
      assert.equal(receiver.batches.length, before);
    });
  });

  describe('partial success', () => {
    test('protobuf: spans with ids of the wrong length are rejected and counted, the rest accepted', async () => {
      const good = decisionSpan();
      const shortTrace = { ...decisionSpan(), traceId: 'abcdef01' };
      const longSpan = { ...decisionSpan(), spanId: 'aa'.repeat(12) };
      const res = await rawRequest(url, { headers: PROTOBUF, body: protobufBody([shortTrace, good, longSpan]) });
      assert.equal(res.status, 200);
      const partial = decodePartialSuccess(res.body);
      assert.ok(partial, 'partial_success is set');
      assert.equal(partial.rejectedSpans, 2);
      assert.equal(partial.errorMessage, 'rejected 2 spans, first: resourceSpans[0].scopeSpans[0].spans[0].traceId is 4 bytes, expected 16');
      const batch = receiver.batches.at(-1)!;
      assert.equal(batch.spanCount, 1);
      assert.equal(batch.resourceSpans[0].scopeSpans[0].spans[0].spanId, good.spanId);
    });

    test('all-zero trace or span ids are invalid per the OTLP spec: rejected through partial_success, protobuf and JSON', async () => {
      const good = decisionSpan();
      const zeroTrace = { ...decisionSpan(), traceId: '0'.repeat(32) };
      const zeroSpan = { ...decisionSpan(), spanId: '0'.repeat(16) };
      const res = await rawRequest(url, { headers: PROTOBUF, body: protobufBody([zeroTrace, good, zeroSpan]) });
      assert.equal(res.status, 200);
      assert.deepEqual(decodePartialSuccess(res.body), {
        rejectedSpans: 2,
        errorMessage: 'rejected 2 spans, first: resourceSpans[0].scopeSpans[0].spans[0].traceId is all zeros, which OTLP defines as invalid',
      });
      const batch = receiver.batches.at(-1)!;
      assert.deepEqual(
        batch.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId),
        [good.spanId],
      );

      const jsonRes = await rawRequest(url, { headers: JSON_TYPE, body: jsonBody([decisionSpan(), zeroSpan]) });
      assert.equal(jsonRes.status, 200);
      assert.deepEqual(JSON.parse(jsonRes.body.toString()), {
        partialSuccess: {
          rejectedSpans: '1',
          errorMessage: 'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[1].spanId is all zeros, which OTLP defines as invalid',
        },
      });
      assert.equal(receiver.batches.at(-1)!.spanCount, 1);
    });

    test('JSON: the same, with rejectedSpans as the JSON mapping writes int64', async () => {
      const body = jsonBody([decisionSpan(), { ...decisionSpan(), spanId: 'abcd' }]);
      const res = await rawRequest(url, { headers: JSON_TYPE, body });
      assert.equal(res.status, 200);
      const answer = JSON.parse(res.body.toString()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
      assert.equal(answer.partialSuccess.rejectedSpans, '1');
      assert.match(answer.partialSuccess.errorMessage, /spans\[1\]\.spanId is 2 bytes, expected 8/);
      assert.equal(receiver.batches.at(-1)!.spanCount, 1);
    });
  });

  describe('every bad input gets its status and a clear message, and the receiver keeps serving', () => {
    const cases: Array<{
      name: string;
      path?: string;
      method?: string;
      headers: Record<string, string>;
      body?: Buffer | string | Array<Buffer | string>;
      status: number;
      code: number;
      message: RegExp;
      answerType: string;
    }> = [
      {
        name: 'GET',
        method: 'GET',
        headers: PROTOBUF,
        status: 405,
        code: 12,
        message: /method GET not allowed: use POST/,
        answerType: 'application/x-protobuf',
      },
      {
        name: 'PUT with JSON',
        method: 'PUT',
        headers: JSON_TYPE,
        body: '{}',
        status: 405,
        code: 12,
        message: /method PUT not allowed/,
        answerType: 'application/json',
      },
      {
        name: 'another path',
        path: '/v1/logs',
        headers: PROTOBUF,
        body: Buffer.alloc(0),
        status: 404,
        code: 5,
        message: /unknown path \/v1\/logs: traces are accepted at POST \/v1\/traces/,
        answerType: 'application/x-protobuf',
      },
      {
        name: 'text/plain',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
        status: 415,
        code: 3,
        message: /unsupported Content-Type "text\/plain": expected application\/x-protobuf or application\/json/,
        answerType: 'application/json',
      },
      { name: 'no Content-Type', headers: {}, body: 'x', status: 415, code: 3, message: /missing Content-Type/, answerType: 'application/json' },
      {
        name: 'brotli body',
        headers: { ...PROTOBUF, 'content-encoding': 'br' },
        body: 'x',
        status: 415,
        code: 3,
        message: /unsupported Content-Encoding "br"/,
        answerType: 'application/x-protobuf',
      },
      {
        name: 'garbage protobuf',
        headers: PROTOBUF,
        body: Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]),
        status: 400,
        code: 3,
        message: /cannot decode request: invalid protobuf/,
        answerType: 'application/x-protobuf',
      },
      {
        name: 'invalid JSON',
        headers: JSON_TYPE,
        body: '{"resourceSpans": [',
        status: 400,
        code: 3,
        message: /cannot decode request: invalid JSON/,
        answerType: 'application/json',
      },
      {
        name: 'JSON of the wrong shape',
        headers: JSON_TYPE,
        body: '{"resourceSpans": 5}',
        status: 400,
        code: 3,
        message: /cannot decode request: resourceSpans: expected an array/,
        answerType: 'application/json',
      },
      {
        name: 'JSON id that is not hex',
        headers: JSON_TYPE,
        body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'not-hex', spanId: '0102030405060708' }] }] }] }),
        status: 400,
        code: 3,
        message: /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId: expected a hex string/,
        answerType: 'application/json',
      },
      {
        name: 'declared body over the limit',
        headers: PROTOBUF,
        body: Buffer.alloc(LIMIT + 1),
        status: 413,
        code: 8,
        message: new RegExp(`request body of ${LIMIT + 1} bytes exceeds the limit of ${LIMIT} bytes`),
        answerType: 'application/x-protobuf',
      },
      {
        name: 'chunked body over the limit',
        headers: PROTOBUF,
        body: [Buffer.alloc(LIMIT / 2), Buffer.alloc(LIMIT / 2), Buffer.alloc(10)],
        status: 413,
        code: 8,
        message: /request body exceeds the limit/,
        answerType: 'application/x-protobuf',
      },
      {
        name: 'gzip bomb',
        headers: { ...PROTOBUF, 'content-encoding': 'gzip' },
        body: gzipSync(Buffer.alloc(50 * LIMIT)),
        status: 413,
        code: 8,
        message: /decompressed request body exceeds the limit/,
        answerType: 'application/x-protobuf',
      },
      {
        name: 'broken gzip',
        headers: { ...JSON_TYPE, 'content-encoding': 'gzip' },
        body: Buffer.from('not gzip at all'),
        status: 400,
        code: 3,
        message: /invalid gzip body/,
        answerType: 'application/json',
      },
    ];
    for (const c of cases) {
      test(`${c.name} → ${c.status}`, async () => {
        const res = await rawRequest(`${receiver.httpUrl}${c.path ?? '/v1/traces'}`, { method: c.method, headers: c.headers, body: c.body });
        assert.equal(res.status, c.status, res.body.toString());
        assert.equal(res.headers['content-type'], c.answerType);
        const status = statusOf(res);
        assert.equal(status.code, c.code);
        assert.match(status.message, c.message);
        if (c.status === 405) assert.equal(res.headers.allow, 'POST');
        await assertStillServes();
      });
    }
  });

  describe('when the pipeline cannot take the data', () => {
    after(() => {
      receiver.failWith = undefined;
    });

    test('back-pressure: 503 with Retry-After and a RetryInfo detail, in either encoding', async () => {
      receiver.failWith = new PipelineError('decision store unavailable: database is locked', { retryable: true, retryAfterSeconds: 7 });
      const proto = await rawRequest(url, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) });
      assert.equal(proto.status, 503);
      assert.equal(proto.headers['retry-after'], '7');
      assert.deepEqual(statusOf(proto), {
        code: 14,
        message: 'decision store unavailable: database is locked',
        retryDelaySeconds: 7,
        detailTypes: ['type.googleapis.com/google.rpc.RetryInfo'],
      });
      const json = await rawRequest(url, { headers: JSON_TYPE, body: jsonBody([decisionSpan()]) });
      assert.equal(json.status, 503);
      assert.equal(json.headers['retry-after'], '7');
      assert.deepEqual(statusOf(json), { code: 14, message: 'decision store unavailable: database is locked', retryDelaySeconds: 7 });
    });

    test('throttling: 429 with Retry-After', async () => {
      receiver.failWith = new PipelineError('over the rate limit', { retryable: true, throttled: true, retryAfterSeconds: 2 });
      const res = await rawRequest(url, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) });
      assert.equal(res.status, 429);
      assert.equal(res.headers['retry-after'], '2');
      assert.equal(statusOf(res).code, 8);
    });

    test('a permanent pipeline error: 400 without Retry-After', async () => {
      receiver.failWith = new PipelineError('decision rejected by a contract', { retryable: false });
      const res = await rawRequest(url, { headers: JSON_TYPE, body: jsonBody([decisionSpan()]) });
      assert.equal(res.status, 400);
      assert.equal(res.headers['retry-after'], undefined);
      assert.equal(statusOf(res).message, 'decision rejected by a contract');
    });

    test('an unexpected failure is retryable (503), never a 500', async () => {
      receiver.failWith = new Error('SQLITE_FULL: database or disk is full');
      const res = await rawRequest(url, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) });
      assert.equal(res.status, 503);
      assert.equal(res.headers['retry-after'], '1');
      assert.doesNotMatch(statusOf(res).message, /SQLITE/, 'internal details stay in the log');
      receiver.failWith = undefined;
      await assertStillServes();
    });
  });
});

describe('OTLP/HTTP receiver CORS', () => {
  let receiver: ReceiverHarness;
  let url: string;
  const preflight = (origin: string, headers = 'content-type', method = 'POST') =>
    rawRequest(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });

  before(async () => {
    receiver = await startReceiver(
      bothProtocols(
        {},
        { cors: { allowed_origins: ['https://*.example.com', 'http://localhost:*'], allowed_headers: ['X-Tenant-Hint', 'Authorization'], max_age: 7200 } },
      ),
    );
    url = `${receiver.httpUrl}/v1/traces`;
  });
  after(() => receiver.stop());

  test('a preflight from an origin matching a wildcard is allowed, with the configured max age', async () => {
    const res = await preflight('https://app.eu.example.com', 'Content-Type, Authorization, x-tenant-hint');
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.eu.example.com');
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(res.headers['access-control-allow-methods'], 'POST');
    assert.equal(res.headers['access-control-allow-headers'], 'Content-Type, Authorization, x-tenant-hint');
    assert.equal(res.headers['access-control-max-age'], '7200');
    assert.match(String(res.headers.vary), /Origin/);
    const port = await preflight('http://localhost:5173');
    assert.equal(port.status, 204, 'the wildcard may stand for a port');
  });

  test('preflights for other origins, methods or headers are refused with the reason', async () => {
    for (const [origin, headers, method, reason] of [
      ['https://example.com', 'content-type', 'POST', /origin https:\/\/example.com is not allowed/],
      ['https://evil.com', 'content-type', 'POST', /not allowed/],
      ['https://app.example.com.evil.com', 'content-type', 'POST', /not allowed/],
      ['https://app.example.com', 'content-type, x-other', 'POST', /request headers not allowed \(cors.allowed_headers\): x-other/],
      ['https://app.example.com', 'content-type', 'DELETE', /method DELETE is not allowed/],
    ] as const) {
      const res = await preflight(origin, headers, method);
      assert.equal(res.status, 403, `${origin} ${headers} ${method}`);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
      assert.match(statusOf(res).message, reason);
    }
  });

  test('an allowed origin may read the answer (and Retry-After); others get no CORS headers', async () => {
    const allowed = await rawRequest(url, { headers: { ...JSON_TYPE, origin: 'https://shop.example.com' }, body: jsonBody([decisionSpan()]) });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
    assert.equal(allowed.headers['access-control-expose-headers'], 'Retry-After');
    const other = await rawRequest(url, { headers: { ...JSON_TYPE, origin: 'https://evil.com' }, body: jsonBody([decisionSpan()]) });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  test('without cors.allowed_headers only the safelist and X-Requested-With are allowed; "*" allows any origin', async () => {
    const plain = await startReceiver(bothProtocols({}, { cors: { allowed_origins: ['*'] } }));
    try {
      const ask = (headers: string) =>
        rawRequest(`${plain.httpUrl}/v1/traces`, {
          method: 'OPTIONS',
          headers: { origin: 'https://anything.test', 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
        });
      const ok = await ask('content-type, x-requested-with, accept');
      assert.equal(ok.status, 204);
      assert.equal(ok.headers['access-control-allow-origin'], 'https://anything.test', 'the origin is echoed, never *');
      assert.equal(ok.headers['access-control-max-age'], undefined);
      assert.equal((await ask('authorization')).status, 403);
    } finally {
      await plain.stop();
    }
  });

  test('without a cors block, OPTIONS is just a wrong method', async () => {
    const plain = await startReceiver(bothProtocols());
    try {
      const res = await rawRequest(`${plain.httpUrl}/v1/traces`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      assert.equal(res.status, 405);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    } finally {
      await plain.stop();
    }
  });
});
