import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status as grpcStatus } from '@grpc/grpc-js';
import Database from 'better-sqlite3';
import { MAX_NESTING_DEPTH, MAX_PAYLOAD_NESTING, type DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { deepNestingCases, jsonBodyWithAnyValue, nestedAnyValueJson, nestedAttributeValue, nestedObjectJson } from './helpers/fuzz-bodies.js';
import { decisionSpan, jsonBody, protobufBody, randomHex, RawTraceServiceClient } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';

/**
 * Issue 17, defect 1: values nested thousands of levels deep were accepted, then every read of
 * the SQLite store hung. One limit (MAX_NESTING_DEPTH, the one binary protobuf always had) on
 * every input path, refused as a client error; reads survive deep values of an old database.
 */

const TIMEOUT_MS = 10_000;

function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
}

function event(decisionId: string, eventId: string, payloadJson: string): string {
  return (
    `[{"schema_version":"1.0","tenant_id":"acme","environment":"prod","trace_id":"${randomHex(16)}","decision_id":"${decisionId}",` +
    `"decision_type":"loan.approve.v3","actor":{"id":"bot","type":"agent","version":null,"org":null},"event_id":"${eventId}",` +
    `"event_type":"decision.start","timestamp":"2026-11-20T10:00:00.000Z","payload":${payloadJson}}]`
  );
}

/** Every read route the issue saw hang, for a decision and its trace. */
async function assertReadsAnswer(api: string, decisionId: string, traceId: string): Promise<DecisionRecord> {
  const list = await get(`${api}/v1/decisions?limit=1000`);
  assert.equal(list.status, 200, 'GET /v1/decisions answers');
  const { decisions } = (await list.json()) as { decisions: DecisionRecord[] };
  const record = decisions.find((d) => d.id === decisionId);
  assert.ok(record, `${decisionId} is listed`);
  assert.equal((await get(`${api}/v1/decisions/${decisionId}`)).status, 200, 'GET /v1/decisions/{id} answers');
  assert.equal((await get(`${api}/v1/decisions/${decisionId}/graph`)).status, 200, 'GET …/graph answers');
  assert.equal((await get(`${api}/v1/traces/${traceId}`)).status, 200, 'GET /v1/traces/{id} answers');
  return record;
}

describe(`nesting deeper than ${MAX_NESTING_DEPTH} levels, on every input path of the running collector`, () => {
  let collector: RunningCollector;
  let grpc: RawTraceServiceClient;
  before(async () => {
    collector = await startCollector();
    grpc = new RawTraceServiceClient(collector.grpcEndpoint);
  });
  after(async () => {
    grpc.close();
    await collector.stop();
  });

  test('OTLP over HTTP and gRPC: refused with 400 / INVALID_ARGUMENT, never 5xx or 200', async () => {
    const answers: string[] = [];
    for (const c of deepNestingCases(MAX_NESTING_DEPTH)) {
      const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': c.contentType }, body: c.body });
      const text = res.body.toString('utf8');
      if (res.status !== 400 || !/deeper than/.test(text)) answers.push(`${c.origin}: HTTP ${res.status} ${text.slice(0, 200)}`);
      if (c.protobuf) {
        const answer = await grpc.export(c.body);
        if (answer.error?.code !== grpcStatus.INVALID_ARGUMENT) answers.push(`${c.origin}: gRPC ${answer.error?.code ?? 'OK'} ${answer.error?.details ?? ''}`);
      }
    }
    assert.deepEqual(answers, []);
    assert.equal(collector.process.exitCode, null);
  });

  test('values at the limit are accepted and stored alike from protobuf and OTLP/JSON, and every read answers', async () => {
    const traceId = randomHex(16);
    const attributes = { 'decision.factors': nestedObjectJson(MAX_NESTING_DEPTH), 'decision.evidence.list': nestedAttributeValue(MAX_NESTING_DEPTH, true) };
    const viaProtobuf = decisionSpan({ traceId, decisionId: 'at-limit-protobuf', attributes });
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, {
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody([viaProtobuf]),
    });
    assert.equal(res.status, 200, res.body.toString());
    const viaJson = jsonBodyWithAnyValue(
      'decision.evidence.kv',
      nestedAnyValueJson(MAX_NESTING_DEPTH),
      decisionSpan({ traceId, decisionId: 'at-limit-json', attributes }),
    );
    const jsonRes = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/json' }, body: Buffer.from(viaJson) });
    assert.equal(jsonRes.status, 200, jsonRes.body.toString());

    const record = await assertReadsAnswer(collector.apiUrl, 'at-limit-json', traceId);
    assert.deepEqual(record.factors, JSON.parse(nestedObjectJson(MAX_NESTING_DEPTH)), 'JSON text at the limit is parsed');
    assert.deepEqual(record.flags, []);
    assert.deepEqual((await assertReadsAnswer(collector.apiUrl, 'at-limit-protobuf', traceId)).factors, record.factors);
  });

  test('POST /v1/events: a payload past the limit is a 400 that stores nothing; at the limit it is stored', async () => {
    // The payload object holds `factors`: one level more than the value.
    for (const levels of [MAX_PAYLOAD_NESTING, 2_000, 5_000]) {
      const res = await fetch(`${collector.apiUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: event(`deep-event-${levels}`, `deep-${levels}`, `{"factors":${nestedObjectJson(levels)}}`),
      });
      assert.equal(res.status, 400, `${levels} levels`);
      assert.match(((await res.json()) as { error: string }).error, /deeper than/);
      assert.equal((await get(`${collector.apiUrl}/v1/decisions/deep-event-${levels}`)).status, 404, 'nothing was stored');
    }
    const res = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: event('event-at-limit', 'at-limit', `{"factors":${nestedObjectJson(MAX_PAYLOAD_NESTING - 1)}}`),
    });
    assert.equal(res.status, 200, await res.text());
    assert.equal((await get(`${collector.apiUrl}/v1/decisions/event-at-limit`)).status, 200);
  });
});

test('a collector started on an old database holding a value 5,000 levels deep answers every read', async () => {
  const first = await startCollector();
  const traceId = randomHex(16);
  const span = decisionSpan({ traceId, decisionId: 'old-deep', attributes: { 'decision.factors': '{"a":1}' } });
  const res = await rawRequest(`${first.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/json' }, body: Buffer.from(jsonBody([span])) });
  assert.equal(res.status, 200);
  await first.stop();
  // What a collector without the limit would have stored.
  const db = new Database(first.dbPath);
  const deep = nestedObjectJson(5_000);
  const row = db.prepare('SELECT record FROM decisions WHERE id = ?').get('old-deep') as { record: string };
  db.prepare('UPDATE decisions SET record = ? WHERE id = ?').run(row.record.replace('{"a":1}', deep), 'old-deep');
  db.prepare('UPDATE ledger SET event = replace(event, \'{"a":1}\', ?)').run(deep);
  db.close();

  const second = await startCollector({ dir: first.dir });
  try {
    const record = await assertReadsAnswer(second.apiUrl, 'old-deep', traceId);
    assert.ok(
      record.flags.some((f) => f.field === 'record' && /JSON text/.test(f.detail)),
      'the record says part of it is shown as text',
    );
  } finally {
    await second.stop();
  }
});
