import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALWAYS_SAMPLE_THRESHOLD,
  NEVER_SAMPLE_THRESHOLD,
  encodeThreshold,
  parseThreshold,
  probabilityToThreshold,
  randomnessFromTraceId,
  shouldSample,
  thresholdAdjustedCount,
  thresholdProbability,
} from '../src/otep235/threshold.js';
import { otelTraceStateOf, parseOtelTraceState, withOtelTraceState } from '../src/otep235/tracestate.js';
import { ProbabilisticSpanSampler } from '../src/otep235/probabilistic-sampler.js';
import { fnv1a32TraceId } from '../src/hash/fnv.js';
import { randomTraceId } from './spans.js';

const th = (p: number, precision = 4) => encodeThreshold(probabilityToThreshold(p, precision)!);

test('OTEP 235 thresholds: 25% → c, 50% → 8, 100% → 0, 10% → e666 at 4 digits', () => {
  assert.equal(th(0.25), 'c');
  assert.equal(th(0.5), '8');
  assert.equal(th(1), '0');
  assert.equal(th(0.1), 'e666');
  assert.equal(th(0.1, 2), 'e6');
  assert.equal(th(0.75), '4');
  // Near zero, extra digits keep the relative error small.
  assert.equal(th(2 ** -20), 'fffff');
  assert.equal(probabilityToThreshold(0), undefined);
  assert.equal(probabilityToThreshold(1.5), undefined);
});

test('threshold probability and adjusted count invert the arithmetic', () => {
  assert.equal(thresholdProbability(parseThreshold('c')!), 0.25);
  assert.equal(thresholdAdjustedCount(parseThreshold('c')!), 4);
  assert.equal(thresholdAdjustedCount(parseThreshold('8')!), 2);
  assert.equal(thresholdAdjustedCount(ALWAYS_SAMPLE_THRESHOLD), 1);
  assert.equal(thresholdAdjustedCount(NEVER_SAMPLE_THRESHOLD), 0);
  assert.ok(Math.abs(thresholdAdjustedCount(parseThreshold('e666')!) - 10) < 0.001);
});

test('a span is sampled when its randomness is at least the threshold (boundary inclusive)', () => {
  const t = parseThreshold('8')!;
  assert.equal(shouldSample(t, '80000000000000'), true);
  assert.equal(shouldSample(t, '7fffffffffffff'), false);
  assert.equal(shouldSample(ALWAYS_SAMPLE_THRESHOLD, '00000000000000'), true);
  assert.equal(shouldSample(NEVER_SAMPLE_THRESHOLD, 'ffffffffffffff'), false);
  assert.equal(randomnessFromTraceId('0123456789abcdef0123456789abcdef'), '23456789abcdef');
  assert.equal(parseThreshold('xyz'), undefined);
  assert.equal(parseThreshold('123456789abcdef'), undefined);
});

test('tracestate: ot is parsed, rewritten first, other vendors and sub-keys kept', () => {
  const state = parseOtelTraceState('rv:0123456789abcd;th:8;zz:abc');
  assert.ok(!(state instanceof Error));
  assert.equal(state.th, '8');
  assert.equal(state.rv, '0123456789abcd');
  assert.deepEqual(state.extra, [['zz', 'abc']]);
  assert.ok(parseOtelTraceState('th') instanceof Error);
  assert.equal(withOtelTraceState('vendor=x,ot=th:8', 'th:c'), 'ot=th:c,vendor=x');
  assert.equal(withOtelTraceState('', 'th:c'), 'ot=th:c');
  const roundTrip = otelTraceStateOf('a=1,ot=th:c;rv:00000000000001');
  assert.ok(!(roundTrip instanceof Error) && roundTrip.th === 'c' && roundTrip.rv === '00000000000001');
});

test('proportional mode keeps 10% ± 1% of 100,000 random trace ids', () => {
  const sampler = new ProbabilisticSpanSampler({ sampling_percentage: 10 });
  assert.equal(sampler.mode, 'proportional');
  let kept = 0;
  for (let i = 0; i < 100_000; i++) {
    if (sampler.decide({ traceId: randomTraceId(), traceState: '', attributes: {} }).sampled) kept++;
  }
  assert.ok(kept >= 9_000 && kept <= 11_000, `kept ${kept}`);
});

test('consistency: a trace sampled at 10% is also sampled at 20%, in every mode', () => {
  for (const mode of ['proportional', 'equalizing', 'hash_seed'] as const) {
    const at10 = new ProbabilisticSpanSampler({ sampling_percentage: 10, mode, hash_seed: 7 });
    const at20 = new ProbabilisticSpanSampler({ sampling_percentage: 20, mode, hash_seed: 7 });
    let sampled10 = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = { traceId: randomTraceId(), traceState: '', attributes: {} };
      if (at10.decide(input).sampled) {
        sampled10++;
        assert.equal(at20.decide(input).sampled, true, `${mode}: ${input.traceId}`);
      }
    }
    assert.ok(sampled10 > 1_500, `${mode}: ${sampled10}`);
  }
});

test('a sampled span carries its threshold in tracestate and its adjusted count', () => {
  const sampler = new ProbabilisticSpanSampler({ sampling_percentage: 25 });
  const kept = sampler.decide({ traceId: '0'.repeat(18) + 'f'.repeat(14), traceState: 'vendor=1', attributes: {} });
  assert.equal(kept.sampled, true);
  assert.equal(kept.traceState, 'ot=th:c,vendor=1');
  assert.equal(kept.adjustedCount, 4);
  const dropped = sampler.decide({ traceId: '0'.repeat(32 - 14) + '0'.repeat(13) + '1', traceState: '', attributes: {} });
  assert.equal(dropped.sampled, false);
  assert.equal(dropped.traceState, '');
});

test('proportional multiplies an incoming probability; equalizing raises it to at most the ratio', () => {
  const traceId = '0'.repeat(18) + 'e0000000000000';
  const proportional = new ProbabilisticSpanSampler({ sampling_percentage: 50, mode: 'proportional' });
  const decided = proportional.decide({ traceId, traceState: 'ot=th:8', attributes: {} });
  assert.equal(decided.sampled, true);
  assert.equal(decided.traceState, 'ot=th:c');
  assert.equal(decided.adjustedCount, 4);

  const equalizing = new ProbabilisticSpanSampler({ sampling_percentage: 25, mode: 'equalizing' });
  assert.equal(equalizing.decide({ traceId, traceState: 'ot=th:8', attributes: {} }).traceState, 'ot=th:c');
  // An incoming probability already below the ratio stays.
  assert.equal(equalizing.decide({ traceId: '0'.repeat(18) + 'f0000000000000', traceState: 'ot=th:e', attributes: {} }).traceState, 'ot=th:e');
});

test('explicit rv in tracestate is the randomness, not the trace id', () => {
  const sampler = new ProbabilisticSpanSampler({ sampling_percentage: 50 });
  const lowTraceId = '0'.repeat(32);
  const lowButRv = sampler.decide({ traceId: '1' + lowTraceId.slice(1), traceState: 'ot=rv:ffffffffffffff', attributes: {} });
  assert.equal(lowButRv.sampled, true);
  assert.equal(lowButRv.reason, 'sampling_randomness');
  assert.equal(lowButRv.traceState, 'ot=rv:ffffffffffffff;th:8', 'rv before th, as the Collector writes them');
});

test('an arriving threshold the randomness contradicts fails closed by default, open when asked', () => {
  const input = { traceId: '0'.repeat(18) + '10000000000000', traceState: 'ot=th:8', attributes: {} };
  const closed = new ProbabilisticSpanSampler({ sampling_percentage: 100 }).decide(input);
  assert.equal(closed.sampled, false);
  assert.equal(closed.reason, 'inconsistent_threshold');
  const open = new ProbabilisticSpanSampler({ sampling_percentage: 100, fail_closed: false }).decide(input);
  assert.equal(open.sampled, true);
});

test('sampling.priority forces the decision', () => {
  const never = new ProbabilisticSpanSampler({ sampling_percentage: 0 });
  assert.equal(never.decide({ traceId: randomTraceId(), traceState: '', attributes: { 'sampling.priority': 1 } }).sampled, true);
  const always = new ProbabilisticSpanSampler({ sampling_percentage: 100 });
  assert.equal(always.decide({ traceId: randomTraceId(), traceState: '', attributes: { 'sampling.priority': 0 } }).sampled, false);
});

/** The Collector's legacy hash_seed test, written independently: FNV-1a 32 over seed (LE) + id bytes. */
function legacyHashSeedSampled(traceId: string, seed: number, percentage: number): boolean {
  const bytes = [seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, (seed >>> 24) & 0xff, ...Buffer.from(traceId, 'hex')];
  const hash = legacyFnv(bytes);
  const scaled = Math.trunc(Math.fround(Math.fround(percentage) * Math.fround(0x4000 / 100)));
  return (hash & 0x3fff) < scaled;
}

test('hash_seed mode makes the legacy FNV decision and writes rv and th', () => {
  const sampler = new ProbabilisticSpanSampler({ sampling_percentage: 15.3, hash_seed: 22 });
  assert.equal(sampler.mode, 'hash_seed');
  for (let i = 0; i < 5_000; i++) {
    const traceId = randomTraceId();
    const decision = sampler.decide({ traceId, traceState: '', attributes: {} });
    assert.equal(decision.sampled, legacyHashSeedSampled(traceId, 22, 15.3), traceId);
    if (decision.sampled) assert.match(decision.traceState, /^ot=rv:[0-9a-f]{14};th:[0-9a-f]+$/);
  }
  assert.equal(fnv1a32TraceId(0, '00'.repeat(16)), legacyFnv([0, 0, 0, 0, ...new Array(16).fill(0)]));
  // A span already carrying OTEP 235 randomness is not hash-sampled (fail closed).
  const inUse = sampler.decide({ traceId: randomTraceId(), traceState: 'ot=rv:ffffffffffffff', attributes: {} });
  assert.equal(inUse.sampled, false);
  assert.equal(inUse.reason, 'randomness_in_use');
});

function legacyFnv(bytes: number[]): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Number((BigInt((hash ^ byte) >>> 0) * 0x01000193n) & 0xffffffffn);
  return hash;
}

// Differences found against the Collector v0.161.0 (test/otelcol-sampling-diff.test.ts), one by one.
test('as the Collector: hash_seed writes the rv its randomnessFromBytes derives (top 14 bits of the hash mixed in)', () => {
  const sampler = new ProbabilisticSpanSampler({ sampling_percentage: 30, mode: 'hash_seed', hash_seed: 4242 });
  // What the Collector v0.161.0 wrote for this trace id (seed 4242, 30 %); we wrote rv:e6d548c926c64a.
  const kept = sampler.decide({ traceId: 'bf1bfa71c68513af7c0c48458314dde0', traceState: '', attributes: {} });
  assert.equal(kept.sampled, true);
  assert.equal(kept.traceState, 'ot=rv:e6d4148c22464a;th:b334');
});

test('as the Collector: a tracestate that is not valid W3C, or an ot th/rv that is not hex of the right size, is invalid', () => {
  const closed = new ProbabilisticSpanSampler({ sampling_percentage: 100, mode: 'proportional' });
  const open = new ProbabilisticSpanSampler({ sampling_percentage: 50, mode: 'proportional', fail_closed: false });
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  for (const traceState of ['Sampling=high', 'a=b=c', 'ot=th:zz', 'ot=rv:123', 'ot=th:']) {
    const dropped = closed.decide({ traceId, traceState, attributes: {} });
    assert.equal(dropped.sampled, false, traceState);
    assert.equal(dropped.reason, 'invalid_tracestate', traceState);
    const kept = open.decide({ traceId, traceState, attributes: {} });
    assert.equal(kept.sampled, true, traceState);
    assert.equal(kept.traceState, traceState, 'failing open keeps the tracestate as it came');
  }
});

test('as the Collector: a repeated tracestate key is forwarded as it came', () => {
  const sampler = new ProbabilisticSpanSampler({ sampling_percentage: 100, mode: 'proportional' });
  const decision = sampler.decide({ traceId: '0af7651916cd43dd8448eb211c80319c', traceState: 'sampling=high,sampling=low', attributes: {} });
  assert.equal(decision.traceState, 'ot=th:0,sampling=high,sampling=low');
});

test('spans of one trace in a row get the decision a fresh sampler makes for each (the repeat shortcut changes nothing)', () => {
  for (const mode of ['hash_seed', 'proportional', 'equalizing'] as const) {
    const config = { sampling_percentage: 50, mode, hash_seed: 9 };
    const reused = new ProbabilisticSpanSampler(config);
    for (let t = 0; t < 200; t++) {
      const traceId = randomTraceId();
      const spans = [
        { traceId, traceState: '', attributes: {} },
        { traceId, traceState: '', attributes: {} },
        // A different tracestate, then a priority, within the same trace: each decided for itself.
        { traceId, traceState: 'ot=th:c', attributes: {} },
        { traceId, traceState: 'ot=th:c', attributes: { 'sampling.priority': 0 } },
        { traceId, traceState: 'ot=th:c', attributes: { 'sampling.priority': 1 } },
        { traceId, traceState: 'ot=th:c', attributes: {} },
        { traceId, traceState: 'vendor=x', attributes: {} },
      ];
      for (const span of spans) assert.deepEqual(reused.decide(span), new ProbabilisticSpanSampler(config).decide(span), `${mode} ${JSON.stringify(span)}`);
    }
  }
});
