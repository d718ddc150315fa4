import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineageIndex } from '../src/lineage.js';

const T = 'trace-1';

test('finds the nearest ancestor decision through non-decision spans', () => {
  const index = new LineageIndex();
  index.recordSpan(T, 'root', '', 'decision-root');
  index.recordSpan(T, 'http', 'root');
  index.recordSpan(T, 'llm', 'http');
  index.recordSpan(T, 'tool', 'llm');
  index.recordSpan(T, 'child', 'tool', 'decision-child');
  assert.equal(index.nearestAncestorDecision(T, 'child'), 'decision-root');
  assert.equal(index.nearestAncestorDecision(T, 'tool'), 'decision-root');
  assert.equal(index.nearestAncestorDecision(T, 'root'), null);
  assert.equal(index.decisionOf(T, 'child'), 'decision-child');
  assert.equal(index.decisionOf(T, 'tool'), null);
});

test('the nearest decision wins over older ones higher up', () => {
  const index = new LineageIndex();
  index.recordSpan(T, 'a', '', 'decision-a');
  index.recordSpan(T, 'b', 'a', 'decision-b');
  index.recordSpan(T, 'c', 'b');
  assert.equal(index.nearestAncestorDecision(T, 'c'), 'decision-b');
});

test('skips ancestors of the excluded decision', () => {
  const index = new LineageIndex();
  index.recordSpan(T, 'outer', '', 'decision-outer');
  index.recordSpan(T, 'start', 'outer', 'decision-x');
  index.recordSpan(T, 'evidence', 'start', 'decision-x');
  assert.equal(index.nearestAncestorDecision(T, 'evidence', 'decision-x'), 'decision-outer');
  assert.equal(index.nearestAncestorDecision(T, 'evidence'), 'decision-x');
});

test('stops at unknown spans, unknown traces and other traces', () => {
  const index = new LineageIndex();
  index.recordSpan(T, 'a', '', 'decision-a');
  index.recordSpan(T, 'orphan', 'missing-parent');
  index.recordSpan('trace-2', 'b', 'a');
  assert.equal(index.nearestAncestorDecision(T, 'orphan'), null);
  assert.equal(index.nearestAncestorDecision(T, 'never-seen'), null);
  assert.equal(index.nearestAncestorDecision('trace-2', 'b'), null);
});

test('terminates on cyclic parent links', () => {
  const index = new LineageIndex();
  index.recordSpan(T, 'a', 'b');
  index.recordSpan(T, 'b', 'c');
  index.recordSpan(T, 'c', 'a');
  assert.equal(index.nearestAncestorDecision(T, 'a'), null);
  index.recordSpan(T, 'self', 'self');
  assert.equal(index.nearestAncestorDecision(T, 'self'), null);
});

test('recording a span again replaces what was known about it', () => {
  const index = new LineageIndex();
  index.recordSpan(T, 'a', '', 'decision-a');
  index.recordSpan(T, 'b', 'a');
  index.recordSpan(T, 'a', '');
  assert.equal(index.nearestAncestorDecision(T, 'b'), null);
  assert.equal(index.spanCount(T), 2);
});

test('evicts the least recently recorded trace beyond maxTraces', () => {
  const index = new LineageIndex({ maxTraces: 2 });
  index.recordSpan('t1', 'a', '', 'd1');
  index.recordSpan('t2', 'a', '', 'd2');
  index.recordSpan('t1', 'b', 'a');
  index.recordSpan('t3', 'a', '', 'd3');
  assert.equal(index.traceCount, 2);
  assert.equal(index.decisionOf('t2', 'a'), null, 't2 was recorded least recently');
  assert.equal(index.decisionOf('t1', 'a'), 'd1');
  assert.equal(index.decisionOf('t3', 'a'), 'd3');
});

test('forgets the oldest span of a trace beyond maxSpansPerTrace', () => {
  const index = new LineageIndex({ maxSpansPerTrace: 3 });
  index.recordSpan(T, 's1', '', 'd1');
  index.recordSpan(T, 's2', 's1');
  index.recordSpan(T, 's3', 's2');
  assert.equal(index.nearestAncestorDecision(T, 's3'), 'd1');
  index.recordSpan(T, 's4', 's3');
  assert.equal(index.spanCount(T), 3);
  assert.equal(index.decisionOf(T, 's1'), null);
  assert.equal(index.nearestAncestorDecision(T, 's4'), null);
});

test("beyond maxSpansPerTrace the spans leave in the order they were first recorded, re-recording keeps a span's place", () => {
  const index = new LineageIndex({ maxSpansPerTrace: 100 });
  for (let i = 0; i < 100; i++) index.recordSpan(T, `s${i}`, '');
  index.recordSpan(T, 's0', '', 'd0'); // recorded again: still the oldest
  // Long enough for the order queue to compact itself several times.
  for (let i = 100; i < 5100; i++) index.recordSpan(T, `s${i}`, i % 2 === 0 ? `s${i - 1}` : '');
  assert.equal(index.spanCount(T), 100);
  assert.equal(index.parentOf(T, 's0'), undefined);
  assert.equal(index.decisionOf(T, 's0'), null, 'its decision left with it');
  assert.equal(index.parentOf(T, 's4999'), undefined, 'the oldest of the rest left first');
  assert.equal(index.parentOf(T, 's5000'), 's4999');
  assert.equal(index.parentOf(T, 's5099'), '');
});

test('rejects bounds that are not positive integers', () => {
  assert.throws(() => new LineageIndex({ maxTraces: 0 }), RangeError);
  assert.throws(() => new LineageIndex({ maxSpansPerTrace: 1.5 }), RangeError);
});
