import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../src/clock.js';
import { TailSampler } from '../src/tail/tail-sampler.js';
import { decisionEvent, randomTraceId, resourceSpans, span } from './spans.js';

test('a trace evicted by the batch that carries its decision events still reports those decisions', () => {
  const tail = new TailSampler(
    {
      decision_wait: 60_000,
      decision_wait_after_root_received: 0,
      num_traces: 2,
      decision_cache: { sampled_cache_size: 0, non_sampled_cache_size: 0 },
      sample_on_first_match: false,
      policies: [{ name: 'all', type: 'always_sample' }],
    },
    new ManualClock(0),
  );
  const ids = [randomTraceId(), randomTraceId(), randomTraceId()];
  // Spans are taken before decision events: the first trace is gone when its events are read.
  const events = [
    decisionEvent({ trace_id: ids[0], decision_id: 'd0', event_type: 'decision.start' }),
    decisionEvent({ trace_id: ids[0], decision_id: 'd0', event_type: 'decision.outcome', payload: { outcome: 'approved' } }),
    decisionEvent({ trace_id: ids[1], decision_id: 'd1' }),
  ];
  const result = tail.ingest([resourceSpans(ids.map((traceId) => span({ traceId })))], events);
  assert.deepEqual(
    result.evicted.map((trace) => trace.traceId),
    [ids[0]],
  );
  assert.deepEqual(
    result.evicted[0].decisions.map((record) => record.id),
    ['d0'],
    'one record per decision, however many events',
  );
  assert.equal(result.evicted[0].decisions[0].event_count, 2);
  assert.equal(result.verdicts.size, 0, 'no verdict is claimed for the evicted trace');
  const rest = tail.decideAll();
  assert.deepEqual(
    rest.find((trace) => trace.traceId === ids[1])?.decisions.map((record) => record.id),
    ['d1'],
  );
});
