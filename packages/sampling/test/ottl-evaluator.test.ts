import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noteIntegralDouble, type Attributes, type SpanEvent } from '@decision-trace/model';
import { OttlCondition } from '../src/ottl/condition.js';
import { compareValues } from '../src/ottl/compare.js';
import { OttlEvaluationError } from '../src/ottl/errors.js';
import type { OttlEvalContext } from '../src/ottl/paths.js';
import { resourceSpans, span } from './spans.js';

/** Evaluating OTTL conditions (#15 item 4) with the Collector's types, comparison rules and converters. */

const integralDouble: Attributes = { three: 3 };
noteIntegralDouble(integralDouble, 'three', true);

const event: SpanEvent = {
  timeUnixNano: 1_700_000_000_005_000_000n,
  name: 'exception',
  attributes: { 'exception.type': 'Timeout', retries: 2 },
  droppedAttributesCount: 0,
};
const theSpan = span({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  parentSpanId: '',
  name: 'GET /orders',
  kind: 2,
  traceState: 'vendor=a,sampling=high',
  flags: 1,
  startTimeUnixNano: 1_700_000_000_000_000_000n,
  endTimeUnixNano: 1_700_000_001_500_000_000n,
  status: { code: 2, message: 'boom' },
  events: [event],
  attributes: {
    'http.status_code': 503,
    ratio: 0.25,
    double3: 3,
    big: 9007199254740993n,
    tier: 'gold',
    text: 'héllo',
    flag: true,
    empty: null,
    bytes: Uint8Array.from([1, 2]),
    list: ['a', 1, { k: 'v' }],
    nested: { b: 2, a: 'x<y', list: [1.5] },
    multiline: 'a\rb',
    pattern: 'a(',
  },
});
noteIntegralDouble(theSpan.attributes, 'double3', true);
const rs = resourceSpans([theSpan], { 'service.name': 'checkout', 'deployment.environment': 'prod' });
rs.schemaUrl = 'https://opentelemetry.io/schemas/1.26.0';
rs.scopeSpans[0].scope = { name: 'io.opentelemetry.http', version: '1.2.3', attributes: { 'scope.attr': 'yes' }, droppedAttributesCount: 0 };
const ctx: OttlEvalContext = { resourceSpans: rs, scopeSpans: rs.scopeSpans[0], span: theSpan };
const eventCtx: OttlEvalContext = { ...ctx, event };

const holds = (text: string, context: OttlEvalContext = ctx) => new OttlCondition(text, context.event ? 'spanevent' : 'span').evaluate(context);
function fails(text: string, pattern: RegExp, context: OttlEvalContext = ctx): void {
  assert.throws(
    () => holds(text, context),
    (error: unknown) => error instanceof OttlEvaluationError && pattern.test(error.message),
    text,
  );
}
function all(expected: boolean, conditions: string[], context: OttlEvalContext = ctx): void {
  for (const condition of conditions) assert.equal(holds(condition, context), expected, condition);
}

test('span paths: name, kind and its enums and strings, status, ids, times, flags, trace_state', () => {
  all(true, [
    'name == "GET /orders"',
    'span.name == "GET /orders"',
    'kind == SPAN_KIND_SERVER',
    'kind == 2',
    'kind.string == "Server"',
    'kind.deprecated_string == "SPAN_KIND_SERVER"',
    'status.code == STATUS_CODE_ERROR',
    'span.status.message == "boom"',
    'trace_id.string == "0af7651916cd43dd8448eb211c80319c"',
    'span_id.string == "b7ad6b7169203331"',
    'parent_span_id.string == "0000000000000000"',
    'start_time_unix_nano == 1700000000000000000',
    'end_time_unix_nano - start_time_unix_nano == 1500000000',
    'end_time - start_time > end_time - end_time',
    'end_time > start_time',
    'flags == 1',
    'trace_state == "vendor=a,sampling=high"',
    'trace_state["sampling"] == "high"',
    'trace_state["missing"] == ""',
    'IsRootSpan()',
    'dropped_attributes_count == 0',
    'Len(events) == 1',
    'IsList(span.links)',
  ]);
  // A trace id compares with a trace id only: against a string it is merely "not equal".
  all(false, ['trace_id == "0af7651916cd43dd8448eb211c80319c"', 'kind == SPAN_KIND_CLIENT', 'status.code == STATUS_CODE_OK', 'start_time > end_time']);
  assert.equal(holds('trace_id != "0af7651916cd43dd8448eb211c80319c"'), true);
});

test('resource, scope and span-event paths', () => {
  all(true, [
    'resource.attributes["service.name"] == "checkout"',
    'resource.schema_url == "https://opentelemetry.io/schemas/1.26.0"',
    'instrumentation_scope.name == "io.opentelemetry.http"',
    'scope.version == "1.2.3"',
    'scope.attributes["scope.attr"] == "yes"',
  ]);
  all(
    true,
    [
      'name == "exception"',
      'spanevent.name == "exception"',
      'attributes["exception.type"] == "Timeout"',
      'spanevent.attributes["retries"] >= 2',
      'span.name == "GET /orders" and resource.attributes["deployment.environment"] == "prod"',
      'time_unix_nano > 1700000000000000000',
      'time > span.start_time',
    ],
    eventCtx,
  );
  // In a span-event condition an unprefixed path is the event's, not the span's.
  assert.equal(holds('name == "GET /orders"', eventCtx), false);
});

test('attributes: ints and doubles stay apart but compare numerically; missing keys are nil; nesting and indexes', () => {
  all(true, [
    'attributes["http.status_code"] == 503',
    'attributes["http.status_code"] == 503.0',
    'attributes["http.status_code"] > 502.5',
    'attributes["ratio"] < 1',
    'attributes["double3"] == 3',
    'IsDouble(attributes["double3"])',
    'IsInt(attributes["big"])',
    'attributes["big"] > 9007199254740992',
    'attributes["missing"] == nil',
    'attributes["empty"] == nil',
    'attributes["nested"]["a"] == "x<y"',
    'attributes["nested"]["nope"] == nil',
    'attributes["list"][1] == 1',
    'attributes["list"][2]["k"] == "v"',
    'attributes["bytes"] == 0x0102',
    'attributes["bytes"] < 0x0103',
    'attributes["flag"] == true',
    'attributes["flag"] > false',
  ]);
  all(false, ['IsInt(attributes["double3"])', 'attributes["missing"] != nil', 'attributes["bytes"] == nil']);
  fails('attributes["list"][3] == 1', /index 3 out of bounds/);
  fails('attributes["tier"]["x"] == 1', /type Str does not support string indexing/);
  fails('attributes["list"]["x"] == 1', /integer index/);
  fails('attributes[0] == 1', /invalid key type/);
});

test('comparisons across types: false, except != which is true; nil equals only nil; strings byte-wise', () => {
  all(false, ['attributes["http.status_code"] == "503"', 'attributes["tier"] > 1', 'attributes["flag"] == 1', 'attributes["tier"] < nil', 'nil < nil']);
  all(true, ['attributes["http.status_code"] != "503"', 'attributes["tier"] != 1', 'nil == nil', 'nil <= nil', 'attributes["tier"] > "Gold"', '"a" < "b"']);
  // Byte order (UTF-8): U+FF5E sorts before U+1F600, unlike UTF-16 code units.
  assert.equal(compareValues('\uff5e', '\u{1f600}', '<'), true);
  assert.equal(compareValues(Number.NaN, Number.NaN, '=='), false);
  assert.equal(compareValues(Number.NaN, Number.NaN, '!='), true);
  assert.equal(compareValues(2n, 2.0, '=='), true);
  assert.equal(compareValues(true, 1n, '!='), true);
  assert.equal(compareValues({ kind: 'map', entries: { a: 1 } }, { kind: 'map', entries: { a: 1 } }, '=='), true);
  const double = { a: 1 };
  noteIntegralDouble(double, 'a', true);
  assert.equal(compareValues({ kind: 'map', entries: { a: 1 } }, { kind: 'map', entries: double }, '=='), false);
  assert.equal(compareValues({ kind: 'map', entries: { a: 1 } }, { kind: 'map', entries: { a: 1 } }, '<'), false);
});

test('and, or, not, parentheses; literal parts are folded so `false and X` never evaluates X', () => {
  all(true, [
    'name == "x" or kind == SPAN_KIND_SERVER',
    'not name == "x"',
    'not (name == "x" or kind == 1)',
    'true and name != ""',
    'false or IsRootSpan()',
    'not false',
  ]);
  all(false, ['name == "x" and kind == 2', 'not IsRootSpan()', 'false']);
  // Len(1) fails when evaluated; folded away it never is.
  assert.equal(holds('false and Len(1) > 0'), false);
  assert.equal(holds('Len(1) > 0 and false'), false);
  assert.equal(holds('true or Len(1) > 0'), true);
  fails('name == "GET /orders" and Len(1) > 0', /Len: unsupported target type int64/);
  // An error inside not is still an error.
  fails('not (Len(1) > 0)', /Len/);
  // Short-circuit: the first decisive value stops evaluation, as in the Collector.
  assert.equal(holds('name == "GET /orders" or Len(1) > 0'), true);
});

test('arithmetic: int64 wraps, division truncates, int/double mix, divide by zero fails', () => {
  all(true, [
    '(1 + 2) * 3 == 9',
    '7 / 2 == 3',
    '-7 / 2 == -3',
    '7.0 / 2 == 3.5',
    '9223372036854775807 + 1 < 0',
    '-attributes["http.status_code"] == -503',
    'attributes["http.status_code"] * 2 == 1006',
  ]);
  fails('1 / 0 == 1', /divide by 0/);
  fails('attributes["tier"] + 1 == 1', /must be int64, float64/);
  fails('-attributes["tier"] == 1', /unary minus/);
});

test('converters: IsMatch with Go regexp semantics, Len in bytes, Is…, conversions, Concat, prefixes, case', () => {
  all(true, [
    'IsMatch(name, "^GET ")',
    'IsMatch(attributes["http.status_code"], "^5\\\\d\\\\d$")',
    'IsMatch(attributes["multiline"], "a.b")',
    'IsMatch(name, "(?i)^get")',
    'IsMatch(name, "(?P<verb>GET) /")',
    'IsMatch(name, "^(?i)get /ORDERS$")',
    'IsMatch(name, "^[[:upper:]]{3} [[:punct:]]")',
    'IsMatch(name, "\\\\QGET /\\\\E")',
    'IsMatch("a{,2}", "^a{,2}$") and not IsMatch("aa", "^a{,2}$")',
    'not IsMatch(name, "\\\\p{Greek}")',
    'IsMatch(attributes["text"], "^h\\\\pLllo$")',
    'IsMatch(attributes["ratio"], "^0\\\\.25$")',
    'IsMatch(attributes["nested"], "^\\\\{\\"a\\":\\"x\\\\\\\\u003cy\\"")',
    'not IsMatch(attributes["missing"], ".*")',
    'Len(attributes["text"]) == 6',
    'Len(attributes["list"]) == 3',
    'Len(attributes["nested"]) == 3',
    'Len(attributes["bytes"]) == 2',
    'IsString(name)',
    'IsBool(attributes["flag"])',
    'IsMap(attributes["nested"])',
    'IsMap(resource.attributes)',
    'IsList(attributes["list"])',
    'not IsString(attributes["missing"])',
    'not IsMap(attributes["tier"])',
    'Int("42") == 42',
    'Int(attributes["ratio"]) == 0',
    'Int(true) == 1',
    'Int(attributes["missing"]) == nil',
    'Double("1e3") == 1000',
    'Double(attributes["http.status_code"]) == 503.0',
    'IsDouble(Double(1))',
    'String(attributes["http.status_code"]) == "503"',
    'String(attributes["bytes"]) == "0102"',
    'String(attributes["nested"]) == "{\\"a\\":\\"x\\\\u003cy\\",\\"b\\":2,\\"list\\":[1.5]}"',
    'String(1.0e21) == "1e+21"',
    'String(0.0000001) == "1e-07"',
    // Go's encoding/json of the other kinds, as the Collector's String() gives them.
    'String(end_time - start_time) == "1500000000"',
    'String(start_time) == "\\"2023-11-14T22:13:20Z\\""',
    'String(end_time) == "\\"2023-11-14T22:13:21.5Z\\""',
    'String(span_id) == "[183,173,107,113,105,32,51,49]"',
    'String(status) == "{}" and String(events) == "{}"',
    // int64(float64) out of range is the minimum int64 (amd64).
    'Int(1.0e300) < -9223372036854775807',
    'Int(-2.7) == -2',
    'Bool("T") and not Bool(0)',
    'Concat([resource.attributes["service.name"], name, attributes["missing"], 1], "|") == "checkout|GET /orders|<nil>|1"',
    'HasPrefix(name, "GET") and HasSuffix(name, "orders")',
    // Durations and times: Go's duration syntax, its unit conversions, Unix times.
    'end_time - start_time == Duration("1.5s")',
    'end_time - start_time > Duration("1s") and end_time - start_time < Duration("1m")',
    'Milliseconds(end_time - start_time) == 1500 and Seconds(end_time - start_time) == 1.5',
    'Duration("1h2m3.5s") == Duration("3723500ms") and Duration("1µs") == Duration("1000ns")',
    'Minutes(Duration("-90s")) == -1.5 and Microseconds(Duration("-1500ns")) == -1',
    'UnixMilli(end_time) == 1700000001500 and UnixSeconds(end_time) == 1700000001',
    'start_time + Duration("1500ms") == end_time',
    'ToLowerCase(name) == "get /orders"',
    'ToUpperCase(attributes["tier"]) == "GOLD"',
  ]);
  // A pattern that is not a literal is compiled when evaluated, and fails there.
  fails('IsMatch(name, attributes["pattern"])', /not a valid pattern/);
  fails('Int(attributes["tier"]) == 4', /strconv.ParseInt: parsing "gold": invalid syntax/);
  // A key that is not a string fails on a valid tracestate (an invalid one reads as nil first).
  fails('trace_state[0] == "x"', /trace_state indexing type must be a string/);
  // otelcol's tail sampler gives span-event contexts no index: event_index always fails.
  fails('event_index == 0', /no 'event_index' property has been set/, eventCtx);
  fails('Len(attributes["missing"]) == 0', /Len: unsupported target type nil/);
  fails('Duration("1") > Duration("0")', /missing unit in duration "1"/);
  fails('Duration("2562048h") > Duration("0")', /invalid duration/);
  fails('Duration(attributes["tier"]) > Duration("0")', /invalid duration "gold"/);
  fails('Milliseconds(attributes["tier"]) > 0', /expected duration but got string/);
  fails('HasPrefix(attributes["http.status_code"], "5")', /expected string but got int64/);
  fails('Len(name)', /must be bool but got int64/);
  // A failure to get the value is not a type error: IsString does not turn it into false.
  fails('IsString(attributes["list"][9])', /out of bounds/);
});
