import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { DecisionSinkError, HttpDecisionSink, type Decision } from '@decision-trace/sdk';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeSdk } from '../packages/sdk/test/sdk-harness.js';

async function getRecord(apiUrl: string, id: string): Promise<DecisionRecord & { events: unknown[] }> {
  const res = await fetch(`${apiUrl}/v1/decisions/${encodeURIComponent(id)}`);
  assert.equal(res.status, 200, `decision ${id}`);
  return (await res.json()) as DecisionRecord & { events: unknown[] };
}

describe('HttpDecisionSink against a real collector', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  for (const mode of ['sampled', 'not sampled'] as const) {
    test(`decisions (${mode}) become records in the backend, nested and linked`, async () => {
      const sink = new HttpDecisionSink({ endpoint: collector.apiUrl });
      const sdk = makeSdk({ sink, sampler: mode === 'sampled' ? undefined : new AlwaysOffSampler() });
      let child: Decision | undefined;
      const parent = await sdk.dt.decision(
        { type: 'refund.approve.v2', actor: { id: 'refund-agent', type: 'agent' }, tenant: 'acme', environment: 'test' },
        async (d) => {
          d.evidence('order', { id: 'o-1', amount: 120, lines: [{ sku: 'kettle', qty: 1 }] });
          d.policyCheck('refund_limit', 'pass', { limit: 500 });
          await sdk.dt.decision({ type: 'notify.channel.v1', tenant: 'acme' }, (c) => {
            child = c;
            c.outcome('email', { alternatives: ['sms'] });
          });
          d.link('depends_on', 'fraud-check-9');
          d.outcome('approved', { confidence: 0.92, factors: { risk: 'low' } });
          return d;
        },
      );
      await sdk.processor.forceFlush();
      assert.equal(sdk.processor.stats.failedEvents, 0);
      assert.equal(sdk.processor.stats.exportedEvents, 2);

      const record = await getRecord(collector.apiUrl, parent.id);
      assert.equal(record.type, 'refund.approve');
      assert.equal(record.version, 'v2');
      assert.equal(record.tenant, 'acme');
      assert.equal(record.outcome, 'approved');
      assert.equal(record.confidence, 0.92);
      assert.deepEqual(record.evidence, { order: { id: 'o-1', amount: 120, lines: [{ sku: 'kettle', qty: 1 }] } });
      assert.deepEqual(record.policy_checks, [{ policy: 'refund_limit', result: 'pass', inputs: { limit: 500 } }]);
      assert.deepEqual(record.causal_links, [{ type: 'depends_on', target_decision_id: 'fraud-check-9' }]);
      assert.equal(record.trace_id, parent.traceId);
      const childRecord = await getRecord(collector.apiUrl, child!.id);
      assert.equal(childRecord.parent_decision_id, parent.id);
      assert.deepEqual(childRecord.alternatives, ['sms']);

      assert.equal(record.events.length, 1, 'one ledger event: the whole decision travels as one');
      await sdk.shutdown();
    });
  }

  test('posting the same events twice stores them once', async () => {
    const sink = new HttpDecisionSink({ endpoint: `${collector.apiUrl}/v1/events` });
    const sdk = makeSdk({ sink: { export: (events, options) => sink.export(events, options).then(() => sink.export(events, options)) } });
    const id = await sdk.dt.decision({ type: 'dup.check.v1' }, (d) => d.outcome('ok').id);
    await sdk.processor.forceFlush();
    const record = await getRecord(collector.apiUrl, id);
    assert.equal(record.event_count, 1);
    assert.equal(record.events.length, 1);
    await sdk.shutdown();
  });
});

interface FakeBackend {
  url: string;
  requests: Array<{ at: number; headers: IncomingHttpHeaders; body: unknown }>;
  close(): Promise<void>;
}

/** A backend that answers with the scripted statuses in turn, then 200. */
async function fakeBackend(script: Array<{ status: number; headers?: Record<string, string> }>): Promise<FakeBackend> {
  const requests: FakeBackend['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ at: Date.now(), headers: req.headers, body: JSON.parse(body) });
      const step = script[requests.length - 1] ?? { status: 200 };
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('HttpDecisionSink retry classification', () => {
  test('503 with Retry-After is retried after the given delay; the API key is sent as a bearer token', async () => {
    const backend = await fakeBackend([
      { status: 503, headers: { 'retry-after': '1' } },
      { status: 429, headers: { 'retry-after': '0' } },
    ]);
    const sink = new HttpDecisionSink({ endpoint: backend.url, apiKey: 'secret-key', headers: { 'x-team': 'refunds' } });
    const sdk = makeSdk({ sink, processor: { retry: { initialBackoffMillis: 5 } } });
    await sdk.dt.decision({ type: 'refund.approve.v2' }, (d) => d.outcome('approved'));
    await sdk.processor.forceFlush();
    assert.equal(backend.requests.length, 3);
    assert.ok(backend.requests[1].at - backend.requests[0].at >= 950, 'waited the Retry-After second');
    const [first] = backend.requests;
    assert.equal(first.headers.authorization, 'Bearer secret-key');
    assert.equal(first.headers['x-team'], 'refunds');
    assert.equal(first.headers['content-type'], 'application/json');
    const [event] = first.body as Array<Record<string, unknown>>;
    assert.equal(event.event_type, 'decision.start');
    assert.equal(event.decision_type, 'refund.approve.v2');
    assert.equal(sdk.processor.stats.exportedEvents, 1);
    await sdk.shutdown();
    await backend.close();
  });

  test('other 4xx answers are not retried; 5xx without Retry-After back off', async () => {
    const rejecting = await fakeBackend([{ status: 400 }]);
    const sdk = makeSdk({ sink: new HttpDecisionSink({ endpoint: rejecting.url }), processor: { retry: { initialBackoffMillis: 5 } } });
    await sdk.dt.decision({ type: 'x.v1' }, (d) => d.outcome('ok'));
    await sdk.processor.forceFlush();
    assert.equal(rejecting.requests.length, 1);
    assert.equal(sdk.processor.stats.failedEvents, 1);
    await sdk.shutdown();
    await rejecting.close();

    const flaky = await fakeBackend([{ status: 500 }, { status: 502 }]);
    const sdk2 = makeSdk({ sink: new HttpDecisionSink({ endpoint: flaky.url }), processor: { retry: { initialBackoffMillis: 5 } } });
    await sdk2.dt.decision({ type: 'x.v1' }, (d) => d.outcome('ok'));
    await sdk2.processor.forceFlush();
    assert.equal(flaky.requests.length, 3);
    assert.equal(sdk2.processor.stats.exportedEvents, 1);
    await sdk2.shutdown();
    await flaky.close();
  });

  test('errors carry the classification: network failures are retryable, 401 is not', async () => {
    const closed = await fakeBackend([]);
    await closed.close();
    const unreachable = new HttpDecisionSink({ endpoint: closed.url });
    const networkError = await unreachable.export([], { signal: AbortSignal.timeout(2000) }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(networkError instanceof DecisionSinkError);
    assert.equal(networkError.retryable, true);

    const unauthorized = await fakeBackend([{ status: 401 }]);
    const error = await new HttpDecisionSink({ endpoint: unauthorized.url }).export([], { signal: AbortSignal.timeout(2000) }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof DecisionSinkError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /401/);
    await unauthorized.close();
  });
});
