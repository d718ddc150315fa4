import type { AttributeValue, Attributes, ResourceSpans, Span } from '@decision-trace/model';

/**
 * The corpus of the differential sampling tests (#15): traces generated from a fixed seed, so
 * every run — and both collectors — see the same ids, attributes, statuses, durations and
 * tracestates. Values sit on and around the thresholds the test configs use (latency 100 ms and
 * 50–200 ms, status 400–599, span counts 2–4, `sampling=high`), and include the cases where the
 * OpenTelemetry Collector reads a value of another type (a double or a string where an int is
 * asked, a string where a bool is asked), malformed tracestate, and OTEP 235 `th`/`rv` values.
 */

/** mulberry32: small, fast, and the same numbers on every platform. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const CORPUS_SEED = 0x5eed15;

export interface CorpusTrace {
  traceId: string;
  resourceSpans: ResourceSpans[];
  spanCount: number;
}

const SERVICES = ['checkout', 'refunds', 'search', 'billing'];
const TIERS: AttributeValue[] = ['gold', 'silver', 'bronze', 'platinum', 'gold-plus', 'Gold', '', 'premium-gold', 7, true];
const STATUS_VALUES: AttributeValue[] = [200, 201, 204, 301, 399, 400, 404, 499, 500, 503, 599, 600, 404.5, '500', -1];
const SYNTHETIC: AttributeValue[] = [true, false, 'true', 'false', 1];
const TRACE_STATES = [
  '',
  'sampling=high',
  'sampling=low',
  'vendor=a,sampling=high',
  'sampling=HIGH',
  'sampling=high,sampling=low', // duplicate key: invalid W3C tracestate
  'Sampling=high', // upper-case key: invalid
  'ot=th:8',
  'ot=th:c',
  'ot=th:0',
  'ot=th:fd70a3d70a3d7',
  'ot=rv:00000000000000',
  'ot=rv:ffffffffffffff;th:8',
  'ot=th:8;rv:7fffffffffffff',
  'ot=th:e668;rv:a1b2c3d4e5f607,vendor=x',
  'ot=th:zz',
  'ot=rv:123',
  'vendor=x,ot=th:4',
];
/** Trace durations in nanoseconds around the latency thresholds (100 ms; 50–200 ms). */
const DURATIONS_NS = [
  0n,
  1_000_000n,
  49_999_999n,
  50_000_000n,
  50_999_999n,
  51_000_000n,
  99_999_999n,
  100_000_000n,
  100_999_999n,
  101_000_000n,
  150_000_000n,
  199_999_999n,
  200_000_000n,
  200_999_999n,
  201_000_000n,
  2_500_000_000n,
];

function hex(random: () => number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++)
    out += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return out;
}

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)];
}

/** `count` traces from `seed`; every trace in one resource (sometimes two) with 1–6 spans. */
export function generateCorpus(count: number, seed = CORPUS_SEED): CorpusTrace[] {
  const random = seededRandom(seed);
  const base = 1_765_000_000_000_000_000n;
  const traces: CorpusTrace[] = [];
  for (let t = 0; t < count; t++) {
    let traceId = hex(random, 16);
    if (/^0+$/.test(traceId)) traceId = `${traceId.slice(0, 31)}1`;
    const spanCount = 1 + Math.floor(random() * 6);
    const start = base + BigInt(t) * 1_000_000_000n;
    const duration = pick(random, DURATIONS_NS);
    const spanIds = Array.from({ length: spanCount }, () => hex(random, 8));
    const spans: Span[] = [];
    for (let s = 0; s < spanCount; s++) {
      const attributes: Attributes = { 'span.index': s };
      if (random() < 0.35) attributes['http.status_code'] = pick(random, STATUS_VALUES);
      if (random() < 0.3) attributes['user.tier'] = pick(random, TIERS);
      if (random() < 0.2) attributes.synthetic = pick(random, SYNTHETIC);
      if (random() < 0.05) attributes['sampling.priority'] = pick(random, [0, 1, 5] as AttributeValue[]);
      const statusRoll = random();
      // The first span spans the trace's whole duration; the others fit inside it.
      const spanStart = s === 0 ? start : start + BigInt(Math.floor(random() * 1000));
      const spanEnd = s === 0 ? start + duration : spanStart + (duration > 2000n ? duration / 2n : 0n);
      spans.push({
        traceId,
        spanId: spanIds[s],
        parentSpanId: s === 0 ? '' : spanIds[0],
        traceState: pick(random, TRACE_STATES),
        flags: random() < 0.8 ? 1 : 0,
        name: s === 0 ? 'request' : `step ${s}`,
        kind: s === 0 ? 2 : 1,
        startTimeUnixNano: spanStart,
        endTimeUnixNano: spanEnd,
        attributes,
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: statusRoll < 0.1 ? 2 : statusRoll < 0.3 ? 1 : 0, message: statusRoll < 0.1 ? 'failed' : '' },
      });
    }
    const resourceAttributes = (): Attributes => {
      const attributes: Attributes = { 'service.name': pick(random, SERVICES) };
      if (random() < 0.1) attributes['user.tier'] = pick(random, TIERS);
      if (random() < 0.1) attributes['http.status_code'] = pick(random, STATUS_VALUES);
      if (random() < 0.05) attributes.synthetic = pick(random, SYNTHETIC);
      return attributes;
    };
    const scope = { name: 'corpus', version: '1', attributes: {}, droppedAttributesCount: 0 };
    const split = spanCount > 1 && random() < 0.2 ? 1 + Math.floor(random() * (spanCount - 1)) : spanCount;
    const resourceSpans: ResourceSpans[] = [
      {
        resource: { attributes: resourceAttributes(), droppedAttributesCount: 0 },
        scopeSpans: [{ scope, spans: spans.slice(0, split), schemaUrl: '' }],
        schemaUrl: '',
      },
    ];
    if (split < spanCount) {
      resourceSpans.push({
        resource: { attributes: resourceAttributes(), droppedAttributesCount: 0 },
        scopeSpans: [{ scope, spans: spans.slice(split), schemaUrl: '' }],
        schemaUrl: '',
      });
    }
    traces.push({ traceId, resourceSpans, spanCount });
  }
  return traces;
}
