import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { parseJsonExact } from '@decision-trace/model';
import { runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { decisionSpan, protobufBody, randomHex } from './helpers/otlp-requests.js';

/**
 * Issue 14 item 3 through the real collector: values from the issue (2^53 + 1, µs and ns
 * timestamps, a 250 µs span, a span that ends before it starts) sent over OTLP/HTTP protobuf,
 * OTLP/HTTP JSON and POST /v1/events, then read from the API's JSON text, the CLI and the ledger.
 */
const BIG = '9007199254740993'; // 2^53 + 1; a double would read 9007199254740992
const START_NANOS = 1_763_800_000_123_456_789n;

async function getText(url: string): Promise<string> {
  const res = await fetch(url);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return text;
}

async function decision(collector: RunningCollector, id: string): Promise<{ text: string; record: Record<string, any> }> {
  const text = await getText(`${collector.apiUrl}/v1/decisions/${encodeURIComponent(id)}`);
  return { text, record: parseJsonExact(text) as Record<string, any> };
}

function ledgerEvents(collector: RunningCollector, decisionId: string): string[] {
  const db = new Database(collector.dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT event FROM ledger WHERE decision_id = ? ORDER BY seq').pluck().all(decisionId) as string[];
  } finally {
    db.close();
  }
}

describe('lossless values end to end', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  test('POST /v1/events: µs and ns timestamps and 2^53 + 1 stay exact in the answer, the CLI and the ledger', async () => {
    // Hand-written JSON: the number must reach the collector with all its digits.
    const body = `[
      {"event_id": "lossless-1", "decision_id": "lossless-events", "decision_type": "ledger.post.v1", "event_type": "decision.start",
       "timestamp": "2026-04-21T14:18:03.123456Z"},
      {"event_id": "lossless-2", "decision_id": "lossless-events", "event_type": "decision.evidence",
       "timestamp": "2026-04-21T14:18:03.123456789Z", "payload": {"key": "account", "value": ${BIG}}},
      {"event_id": "lossless-3", "decision_id": "lossless-events", "event_type": "decision.outcome",
       "timestamp": "2026-04-21T14:18:03.123706789Z", "payload": {"status": "posted"}}
    ]`;
    const res = await fetch(`${collector.apiUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200, await res.text());

    const { text, record } = await decision(collector, 'lossless-events');
    assert.match(text, new RegExp(`"account":${BIG}[,}]`), 'the API writes the exact number');
    assert.equal(record.evidence.account, BigInt(BIG));
    assert.equal(record.start_time, '2026-04-21T14:18:03.123456Z');
    assert.equal(record.end_time, '2026-04-21T14:18:03.123706789Z');
    assert.equal(record.duration_ms, 0.250789, '250.789 µs');

    const found = parseJsonExact(await getText(`${collector.apiUrl}/v1/decisions?evidence=account=${BIG}`)) as { decisions: Array<{ id: string }> };
    assert.deepEqual(
      found.decisions.map((d) => d.id),
      ['lossless-events'],
    );
    const rounded = parseJsonExact(await getText(`${collector.apiUrl}/v1/decisions?evidence=account=9007199254740992`)) as { decisions: unknown[] };
    assert.deepEqual(rounded.decisions, [], 'the rounded double is another value');

    const cli = await runCli(['query', '--endpoint', collector.apiUrl, '--evidence', `account=${BIG}`, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`"account":${BIG}[,}]`));
    assert.match(cli.stdout, /"start_time":"2026-04-21T14:18:03\.123456Z"/);
    const show = await runCli(['show', 'lossless-events', '--endpoint', collector.apiUrl]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(BIG));

    const ledger = ledgerEvents(collector, 'lossless-events');
    assert.equal(ledger.length, 3);
    assert.match(ledger[0]!, /"timestamp":"2026-04-21T14:18:03\.123456Z"/);
    assert.match(ledger[1]!, /"timestamp":"2026-04-21T14:18:03\.123456789Z"/);
    assert.match(ledger[1]!, new RegExp(`"value":${BIG}[,}]`));
    const verify = await runCli(['verify', '--storage', `sqlite:${collector.dbPath}`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  test('OTLP/HTTP protobuf: int64 2^53 + 1, ns span times, a 250 µs span; a span ending before it starts is flagged', async () => {
    const traceId = randomHex(16);
    const fast = decisionSpan({ traceId, decisionId: 'lossless-protobuf', attributes: { 'decision.evidence.account': BigInt(BIG) } });
    fast.startTimeUnixNano = START_NANOS;
    fast.endTimeUnixNano = START_NANOS + 250_000n;
    const skewed = decisionSpan({ traceId, decisionId: 'lossless-skewed' });
    skewed.startTimeUnixNano = START_NANOS;
    skewed.endTimeUnixNano = START_NANOS - 1_000n;
    const res = await fetch(`${collector.otlpHttpUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody([fast, skewed]),
    });
    assert.equal(res.status, 200);

    const { text, record } = await decision(collector, 'lossless-protobuf');
    assert.match(text, new RegExp(`"account":${BIG}[,}]`));
    assert.equal(record.start_time, '2025-11-22T08:26:40.123456789Z');
    assert.equal(record.end_time, '2025-11-22T08:26:40.123706789Z');
    assert.equal(record.duration_ms, 0.25);
    assert.deepEqual(record.flags, []);

    const skewedRecord = (await decision(collector, 'lossless-skewed')).record;
    assert.equal(skewedRecord.duration_ms, null);
    assert.deepEqual(
      skewedRecord.flags.map((flag: { code: string }) => flag.code),
      ['end_before_start'],
    );

    const trace = parseJsonExact(await getText(`${collector.apiUrl}/v1/traces/${traceId}`)) as { spans: Array<Record<string, unknown>> };
    const span = trace.spans.find((s) => s.span_id === fast.spanId)!;
    assert.equal(span.start_time, '2025-11-22T08:26:40.123456789Z');
    assert.equal(span.duration_ms, 0.25);

    const [ledger] = ledgerEvents(collector, 'lossless-protobuf');
    assert.match(ledger!, new RegExp(`"account":${BIG}[,}]`));
    assert.match(ledger!, /"start_time":"2025-11-22T08:26:40\.123456789Z"/);
  });

  test('OTLP/HTTP JSON: intValue written as a JSON number beyond 2^53 stays exact, as does the string form', async () => {
    const body = `{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-client"}}]},
      "scopeSpans": [{"spans": [{
        "traceId": "${randomHex(16)}", "spanId": "${randomHex(8)}", "name": "ledger.post",
        "startTimeUnixNano": 1763800000123456789, "endTimeUnixNano": "1763800000123706789",
        "attributes": [
          {"key": "decision.type", "value": {"stringValue": "ledger.post.v1"}},
          {"key": "decision.id", "value": {"stringValue": "lossless-json"}},
          {"key": "decision.evidence.as_number", "value": {"intValue": ${BIG}}},
          {"key": "decision.evidence.as_string", "value": {"intValue": "${BIG}"}}
        ]}]}]}]}`;
    const res = await fetch(`${collector.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200, await res.text());

    const { text, record } = await decision(collector, 'lossless-json');
    assert.match(text, new RegExp(`"as_number":${BIG}[,}]`));
    assert.match(text, new RegExp(`"as_string":${BIG}[,}]`));
    assert.equal(record.start_time, '2025-11-22T08:26:40.123456789Z', 'a time written as a JSON number keeps its nanoseconds');
    assert.equal(record.duration_ms, 0.25);
    const found = parseJsonExact(await getText(`${collector.apiUrl}/v1/decisions?evidence=as_number=${BIG}`)) as { decisions: Array<{ id: string }> };
    assert.deepEqual(
      found.decisions.map((d) => d.id),
      ['lossless-json'],
    );
  });
});
