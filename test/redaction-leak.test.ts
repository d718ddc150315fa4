// The redaction leak test (#17): raw values in every location a rule covers, sent on every input
// path (OTLP/HTTP protobuf, OTLP/HTTP JSON, OTLP/gRPC, POST /v1/events) to a real collector with
// the documented default redaction config plus configured key rules. Then every byte that left
// the pipeline — the SQLite file and its WAL, the OTLP forwarded to a real HTTP sink by the
// otlphttp exporter, and the collector's logs (debug level, debug exporter at detailed) — is
// searched for each raw value: none may appear, not once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { Attributes, DecisionRecord, ResourceSpans, Span } from '@decision-trace/model';
import { encodeTraceRequestJson, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { randomHex, RawTraceServiceClient } from './helpers/otlp-requests.js';
import { eventually, startHttpSink, type OtlpSink } from './delivery-sink.js';
import { testCollectorConfig } from './helpers/test-config.js';

type InputPath = 'protobuf' | 'json' | 'grpc' | 'events';

/** Every raw value sent, by the location it was sent in: `<path>/<location>` → marker. */
const markers = new Map<string, string>();

/** A raw value unique to its input path and location; letters, digits and `-` only, so it is
 * valid in a tracestate and is written the same in protobuf, JSON and SQLite. */
function raw(path: InputPath, location: string): string {
  const value = `leak-${path}-${location}-${randomHex(4)}`;
  markers.set(`${path}/${location}`, value);
  return value;
}

/** One request holding a raw value in each location of OTLP trace data a rule covers. */
function otlpRequest(path: Exclude<InputPath, 'events'>): ResourceSpans[] {
  const forgedNote = JSON.stringify([{ field: 'decision.evidence.ssn', action: raw(path, 'forged-dt-redactions') }]);
  const start = BigInt(Date.now()) * 1_000_000n;
  const span: Span = {
    traceId: randomHex(16),
    spanId: randomHex(8),
    parentSpanId: '',
    traceState: `congo=t61rcWkgMzE,session_id=${raw(path, 'span-trace-state')}`,
    flags: 1,
    name: 'refund.decide',
    kind: 1,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 1_000_000n,
    attributes: {
      'decision.type': 'refund.approve',
      'decision.id': `leak-${path}-decision`,
      'decision.outcome': 'approved',
      'decision.actor.id': raw(path, 'span-actor-id'),
      'decision.actor.type': 'human',
      'decision.evidence.password': raw(path, 'span-attribute'),
      'decision.evidence.customer': { ssn: raw(path, 'span-kvlist') } as Attributes[string],
      'decision.factors': JSON.stringify({ login: { api_key: raw(path, 'span-json-string') } }),
      'decision.evidence.profile': `{"ssn":"${raw(path, 'span-malformed-json')}",}`,
      'decision.policy.kyc': JSON.stringify({ result: 'pass', inputs: { password: raw(path, 'span-policy-inputs') } }),
      'dt.redactions': forgedNote,
    },
    droppedAttributesCount: 0,
    events: [
      {
        timeUnixNano: start + 500_000n,
        name: 'decision',
        attributes: {
          'decision.type': 'refund.notify',
          'decision.id': `leak-${path}-event-decision`,
          'decision.evidence.ssn': raw(path, 'event-attribute'),
          'decision.factors': `{"password":"${raw(path, 'event-malformed-json')}",}`,
          'dt.redactions': forgedNote,
        },
        droppedAttributesCount: 0,
      },
    ],
    droppedEventsCount: 0,
    links: [
      {
        traceId: randomHex(16),
        spanId: randomHex(8),
        traceState: `ssn=${raw(path, 'link-trace-state')}`,
        attributes: { api_key: raw(path, 'link-attribute') },
        droppedAttributesCount: 0,
        flags: 0,
      },
    ],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
  return [
    {
      resource: {
        attributes: { 'service.name': `leak-${path}`, 'deploy.token': raw(path, 'resource-attribute'), 'dt.redactions': forgedNote },
        droppedAttributesCount: 0,
      },
      scopeSpans: [
        {
          scope: { name: 'leak-test', version: '1.0.0', attributes: { 'library.secret': raw(path, 'scope-attribute') }, droppedAttributesCount: 0 },
          spans: [span, sdkProjectionSpan(path, span)],
          schemaUrl: '',
        },
      ],
      schemaUrl: '',
    },
  ];
}

/** A decision in the Decision Trace SDK's `dt.*` projection: the configured rules name the
 * `decision.*` fields, and must hold for the `dt.*` ones too. */
function sdkProjectionSpan(path: Exclude<InputPath, 'events'>, parent: Span): Span {
  return {
    ...parent,
    spanId: randomHex(8),
    parentSpanId: parent.spanId,
    traceState: '',
    name: 'refund.sdk',
    attributes: {
      'dt.decision_id': `leak-${path}-dt-decision`,
      'dt.decision_type': 'refund.approve',
      'dt.event_type': 'decision.start',
      'dt.actor.id': raw(path, 'dt-actor-id'),
      'dt.actor.type': 'agent',
      'dt.evidence.ssn': raw(path, 'dt-evidence'),
      'dt.payload.factors': JSON.stringify({ login: { password: raw(path, 'dt-payload-json') } }),
      'dt.policy.kyc': JSON.stringify({ result: 'pass', inputs: { api_key: raw(path, 'dt-policy-inputs') } }),
    },
    events: [],
    links: [],
  };
}

/** Canonical events holding a raw value in each location of an event a rule covers. */
function postedEvents(): unknown[] {
  const path = 'events';
  const common = { decision_id: 'leak-events-decision', decision_type: 'refund.approve', timestamp: new Date().toISOString() };
  return [
    {
      ...common,
      event_id: 'leak-events-1',
      event_type: 'decision.start',
      actor: { id: raw(path, 'actor-id'), type: 'human', version: null, org: null },
      payload: {
        evidence: { password: raw(path, 'payload-evidence'), customer: { ssn: raw(path, 'payload-nested') } },
        factors: `{"api_key":"${raw(path, 'payload-malformed-json')}",}`,
        auth_token: raw(path, 'payload-field'),
      },
      redactions: [{ field: 'decision.evidence.ssn', action: raw(path, 'forged-redactions') }],
    },
    { ...common, event_id: 'leak-events-2', event_type: 'evidence', payload: { key: 'ssn', value: raw(path, 'evidence-event') } },
    {
      ...common,
      event_id: 'leak-events-3',
      event_type: 'policy_check',
      payload: { policy: 'kyc', result: 'pass', inputs: { password: raw(path, 'policy-inputs') } },
    },
  ];
}

let collector: RunningCollector;
let sink: OtlpSink;
let storedBytes: Buffer;
let forwardedBytes: Buffer;
let logText: string;
const sentSpanIds: string[] = [];
const records = new Map<string, DecisionRecord>();

before(async () => {
  sink = await startHttpSink();
  collector = await startCollector({
    config: (p) =>
      testCollectorConfig(p, {
        processors: {
          // The documented defaults (README: default_rules on, mask) and configured key rules.
          redaction: {
            hash_key: 'leak-test-hash-key',
            rules: [
              { key: 'ssn', action: 'mask' },
              { key: 'decision.actor.id', action: 'hash' },
            ],
          },
          decision: {},
        },
        exporters: {
          decisions: { store_context_spans: true },
          otlphttp: { endpoint: sink.url, retry_on_failure: { initial_interval: '100ms', max_interval: '200ms' } },
          debug: { verbosity: 'detailed' },
        },
        service: {
          pipelines: { traces: { processors: ['redaction', 'decision'], exporters: ['decisions', 'otlphttp', 'debug'] } },
          telemetry: { logs: { level: 'debug' } },
        },
      }),
  });

  const protobuf = otlpRequest('protobuf');
  const json = otlpRequest('json');
  const grpc = otlpRequest('grpc');
  for (const request of [protobuf, json, grpc]) sentSpanIds.push(request[0]!.scopeSpans[0]!.spans[0]!.spanId);

  const protobufAnswer = await fetch(`${collector.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body: Buffer.from(encodeTraceRequestProtobuf(protobuf)),
  });
  assert.equal(protobufAnswer.status, 200, await protobufAnswer.text());
  const jsonAnswer = await fetch(`${collector.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: encodeTraceRequestJson(json),
  });
  assert.equal(jsonAnswer.status, 200, await jsonAnswer.text());
  const client = new RawTraceServiceClient(collector.grpcEndpoint);
  const grpcAnswer = await client.export(Buffer.from(encodeTraceRequestProtobuf(grpc)));
  client.close();
  assert.equal(grpcAnswer.error, undefined, String(grpcAnswer.error));
  const eventsAnswer = await fetch(`${collector.apiUrl}/v1/events`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(postedEvents()),
  });
  assert.equal(eventsAnswer.status, 200, await eventsAnswer.text());

  assert.ok(await eventually(() => sentSpanIds.every((id) => sink.spanArrivals.has(id)), 15_000), `the sink did not get every span:\n${collector.logs()}`);
  for (const id of ['leak-protobuf-decision', 'leak-events-decision']) {
    const answer = await fetch(`${collector.apiUrl}/v1/decisions/${id}`);
    assert.equal(answer.status, 200, id);
    records.set(id, (await answer.json()) as DecisionRecord);
  }
  // Read while the collector runs, so the WAL still holds what was committed.
  storedBytes = readDatabaseFiles(collector.dbPath);
  assert.equal(await collector.stop(), 0, collector.logs());
  storedBytes = Buffer.concat([storedBytes, readDatabaseFiles(collector.dbPath)]);
  forwardedBytes = Buffer.concat(sink.requests.map((request) => request.body));
  logText = collector.logs();
});

after(async () => {
  await collector?.stop();
  await sink?.close();
});

function readDatabaseFiles(dbPath: string): Buffer {
  const files = [dbPath, `${dbPath}-wal`].filter((file) => existsSync(file));
  return Buffer.concat(files.map((file) => readFileSync(file)));
}

/** Every location whose raw value occurs in `bytes`, with its count. */
function leaks(bytes: Buffer): string[] {
  const found: string[] = [];
  for (const [location, value] of markers) {
    let count = 0;
    for (let at = bytes.indexOf(value); at !== -1; at = bytes.indexOf(value, at + 1)) count++;
    if (count > 0) found.push(`${location} (${count}×, ${count * Buffer.byteLength(value)} bytes)`);
  }
  return found;
}

test('the test reaches everywhere it searches: the decisions are stored, forwarded and logged', () => {
  assert.ok(markers.size >= 50, `${markers.size} locations`);
  for (const id of ['leak-protobuf-decision', 'leak-json-decision', 'leak-grpc-decision', 'leak-grpc-event-decision', 'leak-json-dt-decision']) {
    assert.notEqual(storedBytes.indexOf(id), -1, `${id} is not in the SQLite files`);
    assert.ok(logText.includes(id), `${id} is not in the logs (the debug exporter logs every decision event)`);
  }
  // Posted events take no pipeline: they are stored, never forwarded nor logged.
  assert.notEqual(storedBytes.indexOf('leak-events-decision'), -1, 'the posted events are not in the SQLite files');
  for (const service of ['leak-protobuf', 'leak-json', 'leak-grpc']) assert.notEqual(forwardedBytes.indexOf(service), -1, `${service} not forwarded`);
  assert.notEqual(forwardedBytes.indexOf('congo=t61rcWkgMzE'), -1, 'trace state members no rule covers are forwarded as they were');
});

test('no raw value reaches the SQLite file or its WAL', () => {
  assert.deepEqual(leaks(storedBytes), []);
});

test('no raw value reaches the forwarded OTLP', () => {
  assert.deepEqual(leaks(forwardedBytes), []);
});

test('no raw value reaches the logs', () => {
  assert.deepEqual(leaks(Buffer.from(logText)), []);
});

test('the records list only the redactions the collector applied, never a client claim', () => {
  const sortedNotes = (id: string) =>
    records
      .get(id)!
      .redactions.map(({ field, action }) => `${field} ${action}`)
      .sort();
  assert.deepEqual(sortedNotes('leak-protobuf-decision'), [
    'decision.actor.id hash',
    'decision.evidence.customer.ssn mask',
    'decision.evidence.password mask',
    'decision.evidence.profile mask',
    'decision.factors.login.api_key mask',
    'decision.policy.kyc.inputs.password mask',
    'dt.redactions drop',
    'link.api_key mask',
    'link.trace_state.ssn mask',
    'resource.deploy.token mask',
    'resource.dt.redactions drop',
    'trace_state.session_id mask',
  ]);
  assert.deepEqual(sortedNotes('leak-events-decision'), [
    'decision.actor.id hash',
    'decision.auth_token mask',
    'decision.evidence.customer.ssn mask',
    'decision.evidence.password mask',
    'decision.evidence.ssn mask',
    'decision.factors mask',
    'decision.policy.kyc.inputs.password mask',
  ]);
});
