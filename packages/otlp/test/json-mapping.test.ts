import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeTraceRequestJson } from '../src/index.js';

// Written in the style of the OTLP repository's examples/trace.json: upper-case hex ids,
// 64-bit integers as strings, nested kvlist and array values.
const EXAMPLE_REQUEST = `{
  "resourceSpans": [
    {
      "resource": {
        "attributes": [
          { "key": "service.name", "value": { "stringValue": "checkout" } },
          { "key": "service.replicas", "value": { "intValue": "3" } }
        ]
      },
      "scopeSpans": [
        {
          "scope": {
            "name": "checkout.instrumentation",
            "version": "0.4.2",
            "attributes": [{ "key": "scope.owner", "value": { "stringValue": "payments" } }]
          },
          "spans": [
            {
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "EEE19B7EC3C1B173",
              "name": "approve refund",
              "startTimeUnixNano": "1544712660000000000",
              "endTimeUnixNano": "1544712661000000123",
              "kind": 2,
              "attributes": [
                { "key": "refund.amount_cents", "value": { "intValue": "12500" } },
                { "key": "refund.id", "value": { "intValue": "9007199254740993" } },
                { "key": "refund.ratio", "value": { "doubleValue": 0.25 } },
                { "key": "refund.auto", "value": { "boolValue": false } },
                { "key": "refund.tags", "value": { "arrayValue": { "values": [
                  { "stringValue": "eu" }, { "intValue": 7 }, { "boolValue": true }, {}
                ] } } },
                { "key": "refund.customer", "value": { "kvlistValue": { "values": [
                  { "key": "tier", "value": { "stringValue": "gold" } },
                  { "key": "orders", "value": { "intValue": "-12" } },
                  { "key": "address", "value": { "kvlistValue": { "values": [
                    { "key": "country", "value": { "stringValue": "FR" } }
                  ] } } }
                ] } } },
                { "key": "refund.signature", "value": { "bytesValue": "3q2+7w==" } },
                { "key": "refund.note" }
              ],
              "events": [
                {
                  "timeUnixNano": "1544712660500000000",
                  "name": "decision",
                  "attributes": [{ "key": "decision.outcome", "value": { "stringValue": "approved" } }]
                }
              ],
              "links": [
                { "traceId": "0AF7651916CD43DD8448EB211C80319C", "spanId": "B7AD6B7169203331", "flags": 256 }
              ],
              "status": { "code": 2, "message": "over limit" },
              "someFutureField": { "ignored": true }
            }
          ]
        }
      ]
    }
  ]
}`;

describe('OTLP/JSON mapping', () => {
  test('an examples/trace.json style request decodes to the normalized model', () => {
    const decoded = decodeTraceRequestJson(EXAMPLE_REQUEST);
    assert.equal(decoded.rejectedSpans, 0);
    const [resourceSpans] = decoded.resourceSpans;
    assert.deepStrictEqual(resourceSpans.resource, {
      attributes: { 'service.name': 'checkout', 'service.replicas': 3 },
      droppedAttributesCount: 0,
    });
    const [scopeSpans] = resourceSpans.scopeSpans;
    assert.deepStrictEqual(scopeSpans.scope, {
      name: 'checkout.instrumentation',
      version: '0.4.2',
      attributes: { 'scope.owner': 'payments' },
      droppedAttributesCount: 0,
    });
    assert.deepStrictEqual(scopeSpans.spans, [
      {
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: 'eee19b7ec3c1b173',
        traceState: '',
        flags: 0,
        name: 'approve refund',
        kind: 2,
        startTimeUnixNano: 1_544_712_660_000_000_000n,
        endTimeUnixNano: 1_544_712_661_000_000_123n,
        attributes: {
          'refund.amount_cents': 12500,
          'refund.id': 9_007_199_254_740_993n,
          'refund.ratio': 0.25,
          'refund.auto': false,
          'refund.tags': ['eu', 7, true, null],
          'refund.customer': { tier: 'gold', orders: -12, address: { country: 'FR' } },
          'refund.signature': new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
          'refund.note': null,
        },
        droppedAttributesCount: 0,
        events: [
          {
            timeUnixNano: 1_544_712_660_500_000_000n,
            name: 'decision',
            attributes: { 'decision.outcome': 'approved' },
            droppedAttributesCount: 0,
          },
        ],
        droppedEventsCount: 0,
        links: [
          {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            traceState: '',
            attributes: {},
            droppedAttributesCount: 0,
            flags: 256,
          },
        ],
        droppedLinksCount: 0,
        status: { code: 2, message: 'over limit' },
      },
    ]);
  });

  test('snake_case field names, enum names and integers given as numbers or strings are accepted', () => {
    const body = JSON.stringify({
      resource_spans: [
        {
          schema_url: 'https://example.com/r',
          resource: { attributes: [{ key: 'k', value: { int_value: 5 } }], dropped_attributes_count: '2' },
          scope_spans: [
            {
              schema_url: 'https://example.com/s',
              scope: { name: 'lib', dropped_attributes_count: 1 },
              spans: [
                {
                  trace_id: '0af7651916cd43dd8448eb211c80319c',
                  span_id: 'b7ad6b7169203331',
                  parent_span_id: '',
                  trace_state: 'a=1',
                  flags: '769',
                  name: 'n',
                  kind: 'SPAN_KIND_CONSUMER',
                  start_time_unix_nano: 1544712660000000,
                  end_time_unix_nano: '1544712660000001',
                  attributes: [
                    { key: 'd', value: { double_value: '1.5' } },
                    { key: 'nan', value: { double_value: 'NaN' } },
                    { key: 'b', value: { bool_value: true } },
                    { key: 's', value: { string_value: 'x' } },
                    { key: 'bytes', value: { bytes_value: '-_8' } },
                    { key: 'list', value: { array_value: { values: [{ int_value: '1' }] } } },
                    { key: 'map', value: { kvlist_value: { values: [{ key: 'z', value: { string_value: 'y' } }] } } },
                  ],
                  dropped_attributes_count: 1,
                  events: [{ time_unix_nano: '7', name: 'e', dropped_attributes_count: 3 }],
                  dropped_events_count: 4,
                  links: [
                    {
                      trace_id: '0AF7651916CD43DD8448EB211C80319C',
                      span_id: 'B7AD6B7169203331',
                      trace_state: 'l=2',
                      dropped_attributes_count: 1,
                    },
                  ],
                  dropped_links_count: 5,
                  status: { code: 'STATUS_CODE_OK', message: 'fine' },
                },
              ],
            },
          ],
        },
      ],
    });
    const decoded = decodeTraceRequestJson(body);
    const resourceSpans = decoded.resourceSpans[0];
    assert.equal(resourceSpans.schemaUrl, 'https://example.com/r');
    assert.deepStrictEqual(resourceSpans.resource, { attributes: { k: 5 }, droppedAttributesCount: 2 });
    assert.equal(resourceSpans.scopeSpans[0].schemaUrl, 'https://example.com/s');
    assert.deepStrictEqual(resourceSpans.scopeSpans[0].scope, {
      name: 'lib',
      version: '',
      attributes: {},
      droppedAttributesCount: 1,
    });
    const span = resourceSpans.scopeSpans[0].spans[0];
    assert.equal(span.traceState, 'a=1');
    assert.equal(span.flags, 769);
    assert.equal(span.kind, 5);
    assert.equal(span.startTimeUnixNano, 1_544_712_660_000_000n);
    assert.equal(span.endTimeUnixNano, 1_544_712_660_000_001n);
    assert.deepStrictEqual(span.attributes, {
      d: 1.5,
      nan: NaN,
      b: true,
      s: 'x',
      bytes: new Uint8Array([0xfb, 0xff]),
      list: [1],
      map: { z: 'y' },
    });
    assert.equal(span.droppedAttributesCount, 1);
    assert.deepStrictEqual(span.events, [{ timeUnixNano: 7n, name: 'e', attributes: {}, droppedAttributesCount: 3 }]);
    assert.equal(span.droppedEventsCount, 4);
    assert.deepStrictEqual(span.links, [
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceState: 'l=2',
        attributes: {},
        droppedAttributesCount: 1,
        flags: 0,
      },
    ]);
    assert.equal(span.droppedLinksCount, 5);
    assert.deepStrictEqual(span.status, { code: 1, message: 'fine' });
  });

  test('span kind names map to the proto numbers', () => {
    const names = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
    const spans = names.map((kind, index) => ({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: `b7ad6b716920333${index}`,
      kind,
      status: { code: index % 3 === 0 ? 'STATUS_CODE_UNSET' : index % 3 === 1 ? 'STATUS_CODE_OK' : 'STATUS_CODE_ERROR' },
    }));
    const decoded = decodeTraceRequestJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }));
    const decodedSpans = decoded.resourceSpans[0].scopeSpans[0].spans;
    assert.deepStrictEqual(
      decodedSpans.map((span) => span.kind),
      [0, 1, 2, 3, 4, 5],
    );
    assert.deepStrictEqual(
      decodedSpans.map((span) => span.status.code),
      [0, 1, 2, 0, 1, 2],
    );
  });

  test('missing fields take their defaults', () => {
    const decoded = decodeTraceRequestJson(
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"}]}]}]}',
    );
    assert.deepStrictEqual(decoded.resourceSpans, [
      {
        resource: { attributes: {}, droppedAttributesCount: 0 },
        scopeSpans: [
          {
            scope: { name: '', version: '', attributes: {}, droppedAttributesCount: 0 },
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                parentSpanId: '',
                traceState: '',
                flags: 0,
                name: '',
                kind: 0,
                startTimeUnixNano: 0n,
                endTimeUnixNano: 0n,
                attributes: {},
                droppedAttributesCount: 0,
                events: [],
                droppedEventsCount: 0,
                links: [],
                droppedLinksCount: 0,
                status: { code: 0, message: '' },
              },
            ],
            schemaUrl: '',
          },
        ],
        schemaUrl: '',
      },
    ]);
    assert.deepStrictEqual(decodeTraceRequestJson('{}'), { resourceSpans: [], rejectedSpans: 0, errorMessage: '' });
  });

  test('a UTF-8 body with a byte order mark decodes', () => {
    const text = '\ufeff{"resourceSpans":[{"resource":{"attributes":[{"key":"city","value":{"stringValue":"Zürich"}}]}}]}';
    const decoded = decodeTraceRequestJson(new TextEncoder().encode(text));
    assert.deepStrictEqual(decoded.resourceSpans[0].resource.attributes, { city: 'Zürich' });
  });
});
