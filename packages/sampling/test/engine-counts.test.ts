import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/clock.js';
import { RateLimiter } from '../src/rate/rate-limiter.js';
import { TailSampler } from '../src/tail/tail-sampler.js';
import { randomTraceId, resourceSpans, span } from './spans.js';

test('tail sampler counts new traces, and per policy the spans of the traces it decided on', () => {
  const clock = new ManualClock(0);
  const tail = new TailSampler(
    {
      decision_wait: 100,
      decision_wait_after_root_received: 0,
      num_traces: 10,
      decision_cache: { sampled_cache_size: 0, non_sampled_cache_size: 0 },
      sample_on_first_match: false,
      policies: [{ name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } }],
    },
    clock,
  );
  const failing = randomTraceId();
  const fine = randomTraceId();
  tail.ingest([resourceSpans([span({ traceId: failing, status: { code: 2, message: '' } }), span({ traceId: failing }), span({ traceId: failing })])]);
  tail.ingest([resourceSpans([span({ traceId: fine }), span({ traceId: fine })])]);
  // A second batch of a known trace is not a new trace.
  tail.ingest([resourceSpans([span({ traceId: fine })])]);
  assert.equal(tail.metrics.newTraces, 2);
  clock.advance(100);
  tail.decideDue();
  assert.equal(tail.metrics.policySpans.errors.sampled, 3);
  assert.equal(tail.metrics.policySpans.errors.not_sampled, 3);
  // Late spans are neither new traces nor counted under the policy again.
  tail.ingest([resourceSpans([span({ traceId: fine })])]);
  assert.equal(tail.metrics.newTraces, 2);
  assert.equal(tail.metrics.policySpans.errors.not_sampled, 3);
  assert.equal(tail.metrics.lateSpans, 1);
});

test('rate limiter counts its bucket decisions: every span in spans mode, every new trace in traces mode', () => {
  const clock = new ManualClock(0);
  const spans = new RateLimiter({ spans_per_second: 2, burst: 2 }, clock);
  const trace = randomTraceId();
  for (let i = 0; i < 5; i++) spans.admit(trace);
  assert.deepEqual(spans.decided, { admitted: 2, refused: 3 });

  const traces = new RateLimiter({ traces_per_second: 1, burst: 1 }, clock);
  const kept = randomTraceId();
  const refused = randomTraceId();
  for (let i = 0; i < 4; i++) traces.admit(kept);
  for (let i = 0; i < 3; i++) traces.admit(refused);
  assert.deepEqual(traces.decided, { admitted: 1, refused: 1 });
});
