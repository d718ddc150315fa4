import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDecisionEvent } from '@decision-trace/model/testing';
import { parseJsonExact, stringifyJsonExact } from '../src/exact-json.js';
import { nanosToRfc3339, parseExactInstant, utcInstantText } from '../src/instant.js';
import { parseCanonicalEvents } from '../src/canonical.js';
import { applyEvent } from '../src/reduce.js';
import { extractDecisionEvents } from '../src/from-spans.js';
import type { DecisionEvent } from '../src/event.js';
import { parsePythonLiteral } from '../src/python-literal.js';
import type { DecisionRecord } from '../src/record.js';
import { BASE_TIME_NANOS, request, span, spanId } from './span-builders.js';

// Issue 14 item 3: values from the issue — 2^53 + 1, µs and ns timestamps, a 250 µs span, a
// span that ends before it starts.
const TWO_POW_53_PLUS_1 = 9_007_199_254_740_993n;

test('parseJsonExact: an integer beyond 2^53 is an exact bigint, everything else as JSON.parse gives it', () => {
  const text =
    '{"amount": 9007199254740993, "safe": 9007199254740991, "negative": -9007199254740993, "float": 12345678901234567.5, "exp": 1e21, "list": [9007199254740993, 1], "text": "9007199254740993"}';
  assert.deepEqual(parseJsonExact(text), {
    amount: TWO_POW_53_PLUS_1,
    safe: 9_007_199_254_740_991,
    negative: -TWO_POW_53_PLUS_1,
    // eslint-disable-next-line no-loss-of-precision -- the double JSON.parse gives for the text above, on purpose
    float: 12345678901234567.5,
    exp: 1e21,
    list: [TWO_POW_53_PLUS_1, 1],
    text: '9007199254740993',
  });
  assert.equal(parseJsonExact('9007199254740993'), TWO_POW_53_PLUS_1, 'a bare number');
  assert.deepEqual(parseJsonExact('{"a":9007199254740993,"a":2}'), { a: 2 }, 'duplicate keys: the last wins, as JSON.parse');
  // Texts without a long literal take JSON.parse itself (same values, same errors).
  assert.deepEqual(parseJsonExact('{"a":[1,2.5,"x"],"b":null}'), { a: [1, 2.5, 'x'], b: null });
  assert.throws(() => parseJsonExact('{"a":1,}'), SyntaxError);
  assert.throws(() => parseJsonExact('{"a":9007199254740993,}'), SyntaxError);
});

test('stringifyJsonExact writes a bigint as the exact number; round trip keeps it', () => {
  const value = { amount: TWO_POW_53_PLUS_1, nested: [2n ** 70n, 'x'], n: 1.5 };
  const text = stringifyJsonExact(value);
  assert.equal(text, '{"amount":9007199254740993,"nested":[1180591620717411303424,"x"],"n":1.5}');
  assert.deepEqual(parseJsonExact(text), value);
  assert.equal(stringifyJsonExact({ a: 1n << 60n }, 2), '{\n  "a": 1152921504606846976\n}');
  assert.equal(stringifyJsonExact({ a: 1 }), JSON.stringify({ a: 1 }), 'no bigint: JSON.stringify itself');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => stringifyJsonExact(cyclic), /circular/);
});

test('instants: µs and ns are kept; unix nanos format with 3, 6 or 9 digits as exactness needs', () => {
  assert.deepEqual(parseExactInstant('2026-04-21T14:18:03.123456Z'), { millis: Date.UTC(2026, 3, 21, 14, 18, 3, 123), nanos: 456_000 });
  assert.deepEqual(parseExactInstant('2026-04-21T14:18:03.123456789Z'), { millis: Date.UTC(2026, 3, 21, 14, 18, 3, 123), nanos: 456_789 });
  assert.equal(parseExactInstant('2026-04-21T14:18:03.123'), null, 'no offset');
  const millis = BigInt(Date.UTC(2026, 3, 21, 14, 18, 3, 123)) * 1_000_000n;
  assert.equal(nanosToRfc3339(millis), '2026-04-21T14:18:03.123Z');
  assert.equal(nanosToRfc3339(millis + 456_000n), '2026-04-21T14:18:03.123456Z');
  assert.equal(nanosToRfc3339(millis + 456_789n), '2026-04-21T14:18:03.123456789Z');
  assert.equal(nanosToRfc3339(millis + 1n), '2026-04-21T14:18:03.123000001Z');
  assert.equal(utcInstantText('2026-04-21T16:18:03.123456789+02:00'), '2026-04-21T14:18:03.123456789Z');
});

test('canonical events keep µs and ns timestamps as posted, and payload integers beyond 2^53 exact', () => {
  const body = parseJsonExact(`[
    {"decision_id": "d1", "event_type": "decision.start", "timestamp": "2026-04-21T14:18:03.123456Z"},
    {"decision_id": "d1", "event_type": "decision.evidence", "timestamp": "2026-04-21T14:18:03.123456789Z",
     "payload": {"key": "account", "value": 9007199254740993}},
    {"decision_id": "d1", "event_type": "decision.outcome", "timestamp": "2026-04-21T16:18:03.123706789+02:00",
     "payload": {"status": "approved", "ledger_ref": 9007199254740993}}
  ]`);
  const { events, errors } = parseCanonicalEvents(body);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    events.map((event) => event.timestamp),
    ['2026-04-21T14:18:03.123456Z', '2026-04-21T14:18:03.123456789Z', '2026-04-21T16:18:03.123706789+02:00'],
  );
  assert.equal(events[1]!.payload.value, TWO_POW_53_PLUS_1);

  const record = fold(events);
  assert.equal(record.start_time, '2026-04-21T14:18:03.123456Z');
  assert.equal(record.end_time, '2026-04-21T16:18:03.123706789+02:00', 'the latest instant, in its own spelling');
  assert.equal(record.updated_at, '2026-04-21T16:18:03.123706789+02:00');
  assert.equal(record.duration_ms, 0.250789, '250.789 µs, not 0');
  assert.deepEqual(record.evidence, { account: TWO_POW_53_PLUS_1 });
  assert.match(stringifyJsonExact(record), /"account":9007199254740993[,}]/);

  // One instant in two spellings is one event when no id is given.
  const [a] = parseCanonicalEvents([{ decision_id: 'd', event_type: 'decision.start', timestamp: '2026-04-21T14:18:03.123456Z' }]).events;
  const [b] = parseCanonicalEvents([{ decision_id: 'd', event_type: 'decision.start', timestamp: '2026-04-21T16:18:03.123456+02:00' }]).events;
  assert.equal(a!.event_id, b!.event_id);
});

test('reduce: instants nanoseconds apart are ordered exactly (earliest start, latest end)', () => {
  const at = (timestamp: string, id: string): DecisionEvent => event({ event_id: id, timestamp });
  const record = fold([at('2026-04-21T14:18:03.123456789Z', 'e1'), at('2026-04-21T14:18:03.123456788Z', 'e2'), at('2026-04-21T14:18:03.123456790Z', 'e3')]);
  assert.equal(record.start_time, '2026-04-21T14:18:03.123456788Z');
  assert.equal(record.end_time, '2026-04-21T14:18:03.123456790Z');
  assert.equal(record.duration_ms, 0.000002);
  assert.equal(record.updated_at, '2026-04-21T14:18:03.123456790Z');
});

test('a 250 µs span gives duration_ms 0.25 and ns start/end times', () => {
  const start = BASE_TIME_NANOS + 123_456_789n;
  const [decision] = extractDecisionEvents(
    request([span({ spanId: spanId(1), attributes: { 'decision.type': 'fast.check' }, startTimeUnixNano: start, endTimeUnixNano: start + 250_000n })]),
  );
  const record = fold([decision!]);
  assert.equal(record.duration_ms, 0.25);
  assert.equal(record.start_time, nanosToRfc3339(start));
  assert.match(record.start_time!, /\.123456789Z$/);
  assert.match(record.end_time!, /\.123706789Z$/);
  assert.deepEqual(record.flags, []);
});

test('a span that ends before it starts is flagged on the record, without a duration', () => {
  const start = BASE_TIME_NANOS + 5_000_000n;
  const [decision] = extractDecisionEvents(
    request([span({ spanId: spanId(1), attributes: { 'decision.type': 'skewed.clock' }, startTimeUnixNano: start, endTimeUnixNano: start - 250_000n })]),
  );
  const record = fold([decision!]);
  assert.equal(record.duration_ms, null);
  assert.deepEqual(
    record.flags.map((flag) => [flag.code, flag.field]),
    [['end_before_start', 'end_time']],
  );
  assert.equal(record.start_time, nanosToRfc3339(start), 'both times kept as given');
  assert.equal(record.end_time, nanosToRfc3339(start - 250_000n));
});

test("the Java exporter's dt.payload_json: its ns timestamp and a payload integer beyond 2^53 stay exact", () => {
  const payloadJson = `{"event_id":"java-1","event_type":"decision.evidence","decision_id":"j1","timestamp":"2026-04-21T14:18:03.123456789Z",
    "payload":{"key":"account","value":${TWO_POW_53_PLUS_1}},"causal_links":[]}`;
  const [event] = extractDecisionEvents(
    request([
      span({
        spanId: spanId(1),
        startTimeUnixNano: BASE_TIME_NANOS,
        endTimeUnixNano: BASE_TIME_NANOS + 1_000_000n,
        attributes: { 'dt.decision_id': 'j1', 'dt.event_type': 'decision.evidence', 'dt.payload_json': payloadJson },
      }),
    ]),
  );
  assert.equal(event!.timestamp, '2026-04-21T14:18:03.123456789Z');
  assert.deepEqual(event!.payload, { key: 'account', value: TWO_POW_53_PLUS_1 });
});

test("the Python OTelExporter's str() of a dict keeps an int beyond 2^53 exact", () => {
  assert.deepEqual(parsePythonLiteral("{'account': 9007199254740993, 'small': 120, 'float': 9007199254740993.0}"), {
    ok: true,
    value: { account: TWO_POW_53_PLUS_1, small: 120, float: 9007199254740992 },
  });
});

function fold(events: DecisionEvent[]): DecisionRecord {
  let record: DecisionRecord | undefined;
  for (const item of events) record = applyEvent(record, item);
  return record!;
}

function event(overrides: Partial<DecisionEvent>): DecisionEvent {
  return makeDecisionEvent({ event_type: 'decision.start', decision_type: 't', timestamp: '2026-04-21T14:18:03.123Z', source: 'api.events', ...overrides });
}
