import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import type { Span } from '@decision-trace/model';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { decisionSpan, protobufBody, randomHex } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';
import { bothProtocols, startReceiver } from './helpers/receiver-harness.js';

const MAX_REQUEST_BODY = 20 * 1024 * 1024;
const PROTOBUF = { 'content-type': 'application/x-protobuf' };

/** Spans like an instrumented service's: 10 per trace, one of them a decision. */
function serviceSpans(count: number): Span[] {
  const spans: Span[] = [];
  let traceId = '';
  for (let i = 0; i < count; i++) {
    if (i % 10 === 0) traceId = randomHex(16);
    const span = decisionSpan({ traceId });
    if (i % 10 !== 5) {
      span.name = 'GET /api/orders/{id}';
      span.attributes = {
        'http.request.method': 'GET',
        'url.path': `/api/orders/${i}`,
        'http.response.status_code': 200,
        'db.query.text': 'SELECT id, status, amount FROM orders WHERE id = $1',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 812,
      };
    }
    spans.push(span);
  }
  return spans;
}

/** The largest body under the default max_request_body_size, built from whole spans. */
function maximumSizeBody(): { body: Buffer; spans: number } {
  const perSpan = protobufBody(serviceSpans(1000)).length / 1000;
  let count = Math.floor((MAX_REQUEST_BODY / perSpan) * 0.98);
  let body = protobufBody(serviceSpans(count));
  while (body.length > MAX_REQUEST_BODY) {
    count = Math.floor(count * 0.98);
    body = protobufBody(serviceSpans(count));
  }
  return { body, spans: count };
}

describe('a maximum-size request does not stall other connections for long', () => {
  let collector: RunningCollector;
  let body: Buffer;
  let spans: number;
  before(async () => {
    ({ body, spans } = maximumSizeBody());
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  test('the receiver decodes it in slices: the event loop is never blocked for long', async (t) => {
    const receiver = await startReceiver(bothProtocols());
    try {
      const started = performance.now();
      decodeTraceRequestProtobuf(body);
      const oneGo = performance.now() - started;

      // Gaps between ticks of a 1 ms timer, less the garbage collector's pauses within them: a
      // 20 MiB request's 100,000 decoded spans make the heap grow, and V8's full collections
      // then pause the loop for tens of ms whatever the receiver does. What the receiver owns is
      // the rest: with slicing, one slice's decode at a time.
      const gaps: Array<{ start: number; end: number }> = [];
      const pauses: Array<{ start: number; end: number }> = [];
      const gcObserver = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) pauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
      });
      gcObserver.observe({ entryTypes: ['gc'] });
      let last = performance.now();
      const ticking = setInterval(() => {
        const now = performance.now();
        gaps.push({ start: last, end: now });
        last = now;
      }, 1);
      const res = await rawRequest(`${receiver.httpUrl}/v1/traces`, { headers: PROTOBUF, body });
      clearInterval(ticking);
      gaps.push({ start: last, end: performance.now() });
      // Entries are delivered asynchronously.
      await new Promise((resolve) => setTimeout(resolve, 50));
      gcObserver.disconnect();
      assert.equal(res.status, 200);
      assert.equal(receiver.batches[0].spanCount, spans);
      let longestGap = 0;
      let longestOwnGap = 0;
      for (const gap of gaps) {
        let paused = 0;
        for (const pause of pauses) paused += Math.max(0, Math.min(gap.end, pause.end) - Math.max(gap.start, pause.start));
        longestGap = Math.max(longestGap, gap.end - gap.start);
        longestOwnGap = Math.max(longestOwnGap, gap.end - gap.start - paused);
      }
      t.diagnostic(
        `decoding in one go blocks ${oneGo.toFixed(0)} ms; through the receiver the longest event-loop gap was ` +
          `${longestGap.toFixed(0)} ms, ${longestOwnGap.toFixed(0)} ms of it outside garbage collection`,
      );
      assert.ok(longestOwnGap < oneGo / 2, `longest gap outside GC ${longestOwnGap.toFixed(0)} ms, one-go decode ${oneGo.toFixed(0)} ms`);
    } finally {
      await receiver.stop();
    }
  });

  test('through the whole collector, small requests on another connection keep being answered', async (t) => {
    const url = `${collector.otlpHttpUrl}/v1/traces`;
    const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const probeBody = protobufBody([decisionSpan()]);
    assert.equal((await rawRequest(url, { headers: PROTOBUF, body: probeBody, agent: probeAgent })).status, 200);

    let bigDone = false;
    const probes: Array<{ sentAt: number; latency: number; status: number }> = [];
    const probing = (async () => {
      while (!bigDone) {
        const sentAt = performance.now();
        const res = await rawRequest(url, { headers: PROTOBUF, body: probeBody, agent: probeAgent });
        probes.push({ sentAt, latency: performance.now() - sentAt, status: res.status });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const bigStart = performance.now();
    const big = await rawRequest(url, { headers: PROTOBUF, body });
    const bigMs = performance.now() - bigStart;
    bigDone = true;
    await probing;
    probeAgent.destroy();

    assert.equal(big.status, 200, big.body.toString());
    const during = probes.filter((p) => p.sentAt >= bigStart && p.sentAt <= bigStart + bigMs);
    const worst = Math.max(...during.map((p) => p.latency));
    t.diagnostic(
      `${(body.length / 1024 / 1024).toFixed(1)} MiB, ${spans} spans: answered in ${bigMs.toFixed(0)} ms; ` +
        `${during.length} small requests meanwhile, slowest ${worst.toFixed(0)} ms`,
    );
    assert.ok(probes.every((p) => p.status === 200));
    assert.ok(during.length >= 3, 'other requests were answered while the big one was in flight');
  });
});
