import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { decisionSpan, protobufBody } from './helpers/otlp-requests.js';
import { eventually, startHttpSink, type OtlpSink } from './delivery-sink.js';
import { testCollectorConfig } from './helpers/test-config.js';

// The raw values must never reach storage nor the forwarded OTLP; the derived and hashed
// forms must. The hash key comes from the environment, as a user would configure it.
const HASH_KEY = 'e2e-redaction-hash-key';
process.env.DT_E2E_REDACTION_HASH_KEY = HASH_KEY;

const EMAIL = 'user@example.com';
const CARD = '4111 1111 1111 1111';
const CARD_DIGITS = '4111111111111111';
const API_KEY = 'sk_live_51HqLyjWDarjtT1zdp7dcQx';
const ACTOR_ID = 'customer-8842';
const PASSWORD = 'correct-horse-battery';
const RAW_VALUES = [EMAIL, CARD, CARD_DIGITS, API_KEY, ACTOR_ID, PASSWORD];
const HASHED_ACTOR = createHmac('sha256', HASH_KEY).update(ACTOR_ID).digest('hex');

let collector: RunningCollector;
let sink: OtlpSink;
let record: DecisionRecord;

before(async () => {
  sink = await startHttpSink();
  collector = await startCollector({
    config: (p) => {
      const registry = join(p.dbPath, '..', 'decision-registry.yaml');
      writeFileSync(registry, 'decision_types:\n  refund.approve:\n    key_evidence: [order_id]\n');
      return testCollectorConfig(p, {
        processors: {
          redaction: {
            hash_key: '${env:DT_E2E_REDACTION_HASH_KEY}',
            rules: [
              { key: 'customer_email', action: 'derive', derive: 'email_domain' },
              { value_kind: 'email', action: 'derive' },
              { value_kind: 'card_number', action: 'derive' },
              { key: 'decision.actor.id', action: 'hash' },
            ],
          },
          decision: { registry },
        },
        exporters: {
          otlphttp: { endpoint: sink.url, retry_on_failure: { initial_interval: '100ms', max_interval: '200ms' } },
        },
        service: { pipelines: { traces: { processors: ['redaction', 'decision'], exporters: ['decisions', 'otlphttp'] } } },
      });
    },
  });

  const span = decisionSpan({
    decisionId: 'refund-pii-1',
    attributes: {
      'decision.actor.id': ACTOR_ID,
      'decision.actor.type': 'agent',
      'decision.evidence.customer_email': EMAIL,
      'decision.evidence.card_number': CARD,
      'decision.evidence.api_key': API_KEY,
      'decision.factors': JSON.stringify({ note: `customer ${EMAIL} asked twice`, login: { password: PASSWORD } }),
    },
  });
  const response = await fetch(`${collector.otlpHttpUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf' },
    body: protobufBody([span]),
  });
  assert.equal(response.status, 200, await response.text());

  assert.ok(await eventually(() => sink.requests.length > 0, 10_000), `the sink got nothing:\n${collector.logs()}`);
  record = (await (await fetch(`${collector.apiUrl}/v1/decisions/refund-pii-1`)).json()) as DecisionRecord;
  assert.equal(await collector.stop(), 0, collector.logs());
});

after(async () => {
  await collector?.stop();
  await sink?.close();
});

test('the stored record holds the derived and hashed forms and lists what was redacted, never the values', () => {
  assert.equal(record.id, 'refund-pii-1', JSON.stringify(record));
  assert.deepEqual(record.evidence, { customer_email_domain: 'example.com', card_number_last4: '1111', api_key: '***' });
  assert.equal(record.actor?.id, HASHED_ACTOR);
  assert.deepEqual(record.factors, { note: 'customer ***@example.com asked twice', login: { password: '***' } });
  assert.deepEqual(
    [...record.redactions].sort((a, b) => a.field.localeCompare(b.field)),
    [
      { field: 'decision.actor.id', action: 'hash' },
      { field: 'decision.evidence.api_key', action: 'mask' },
      { field: 'decision.evidence.card_number', action: 'derive' },
      { field: 'decision.evidence.customer_email', action: 'derive' },
      { field: 'decision.factors.login.password', action: 'mask' },
      { field: 'decision.factors.note', action: 'derive' },
    ],
  );
  assert.deepEqual(record.violations, [{ rule: 'key_evidence', detail: 'missing evidence order_id' }], 'the registry applied too');
});

test('the SQLite files hold none of the raw values, but the derived and hashed forms', () => {
  const files = readdirSync(collector.dir).filter((name) => name.startsWith('decisions.db'));
  assert.ok(files.includes('decisions.db'), files.join(', '));
  const bytes = Buffer.concat(files.map((name) => readFileSync(join(collector.dir, name))));
  for (const raw of RAW_VALUES) assert.equal(bytes.indexOf(raw), -1, `raw value ${raw} found in the SQLite files`);
  for (const kept of ['example.com', '"card_number_last4":"1111"', HASHED_ACTOR, 'customer_email_domain']) {
    assert.notEqual(bytes.indexOf(kept), -1, `${kept} missing from the SQLite files`);
  }
});

test('the forwarded OTLP bytes hold none of the raw values, but the derived and hashed forms and the note', () => {
  const bytes = Buffer.concat(sink.requests.map((request) => request.body));
  for (const raw of RAW_VALUES) assert.equal(bytes.indexOf(raw), -1, `raw value ${raw} forwarded`);
  for (const kept of ['decision.evidence.customer_email_domain', 'example.com', 'decision.evidence.card_number_last4', HASHED_ACTOR, 'dt.redactions']) {
    assert.notEqual(bytes.indexOf(kept), -1, `${kept} missing from the forwarded bytes`);
  }
  const forwarded = sink.requests[0]!.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
  assert.equal(forwarded.attributes['decision.evidence.api_key'], '***');
});
