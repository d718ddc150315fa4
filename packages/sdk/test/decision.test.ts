import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import { AlwaysOffSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { DecisionAwareSampler } from '@decision-trace/sampling';
import { DecisionSinkError, InMemoryDecisionSink, type Decision, type DecisionSink } from '@decision-trace/sdk';
import { makeSdk, sleep, type SdkHarness } from './sdk-harness.js';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
after(() => assert.deepEqual(unhandled, [], 'no unhandled rejections'));

function get(records: Map<string, DecisionRecord>, id: string): DecisionRecord {
  const record = records.get(id);
  assert.ok(record, `a record for ${id}`);
  return record;
}

async function refundDecision(sdk: SdkHarness, order: { id: string; amount: number; items: string[] }) {
  return sdk.dt.decision(
    { type: 'refund.approve.v2', actor: { id: 'refund-agent', type: 'agent', version: '1.4.0' }, tenant: 'acme', environment: 'test' },
    async (d) => {
      d.evidence('order_id', order.id).evidence('amount', order.amount).evidence('items', order.items);
      d.policyCheck('refund_limit', 'pass', { limit: 500, amount: order.amount });
      d.action('issue_refund', { amount: order.amount, currency: 'EUR' });
      d.approval('granted', { by: 'supervisor-3' });
      d.link('depends_on', 'fraud-check-1');
      d.outcome('approved', { confidence: 0.92, alternatives: ['deny', 'escalate'], factors: { risk: 'low', tier: 'gold' } });
      return { id: d.id, traceId: d.traceId, spanId: d.spanId };
    },
  );
}

describe('decision()', () => {
  test('records every field of the decision, with the id and trace id handed to the callback', async () => {
    const sdk = makeSdk();
    const ids = await refundDecision(sdk, { id: 'o-1', amount: 120, items: ['kettle'] });
    const record = get(await sdk.records(), ids.id);
    assert.equal(record.type, 'refund.approve');
    assert.equal(record.version, 'v2');
    assert.equal(record.tenant, 'acme');
    assert.equal(record.environment, 'test');
    assert.deepEqual(record.actor, { id: 'refund-agent', type: 'agent', version: '1.4.0', org: null });
    assert.deepEqual(record.evidence, { order_id: 'o-1', amount: 120, items: ['kettle'] });
    assert.deepEqual(record.policy_checks, [{ policy: 'refund_limit', result: 'pass', inputs: { limit: 500, amount: 120 } }]);
    assert.deepEqual(record.actions, [{ name: 'issue_refund', amount: 120, currency: 'EUR' }]);
    assert.deepEqual(record.approvals, [{ status: 'granted', by: 'supervisor-3' }]);
    assert.equal(record.outcome, 'approved');
    assert.equal(record.confidence, 0.92);
    assert.deepEqual(record.alternatives, ['deny', 'escalate']);
    assert.deepEqual(record.factors, { risk: 'low', tier: 'gold' });
    assert.deepEqual(record.causal_links, [{ type: 'depends_on', target_decision_id: 'fraud-check-1' }]);
    assert.equal(record.status, 'decided');
    assert.equal(record.service_name, 'refund-service');

    const [span] = sdk.exportedSpans();
    assert.equal(record.trace_id, span.spanContext().traceId);
    assert.equal(record.span_id, span.spanContext().spanId);
    assert.equal(ids.traceId, span.spanContext().traceId);
    assert.equal(ids.spanId, span.spanContext().spanId);
    assert.equal(span.name, 'refund.approve.v2');
    assert.ok(record.duration_ms !== null && record.duration_ms >= 0);
    await sdk.shutdown();
  });

  test('an error thrown inside is recorded as decision.error, marks the span ERROR and is rethrown', async () => {
    const sdk = makeSdk();
    class PaymentGatewayError extends Error {
      override name = 'PaymentGatewayError';
    }
    const thrown = new PaymentGatewayError('gateway timeout');
    let asyncId = '';
    await assert.rejects(
      sdk.dt.decision({ type: 'refund.approve.v2' }, async (d) => {
        asyncId = d.id;
        d.evidence('amount', 10);
        await sleep(1);
        throw thrown;
      }),
      (error) => error === thrown,
    );
    let syncId = '';
    assert.throws(
      () =>
        sdk.dt.decisionSync({ type: 'limit.check.v1' }, (d) => {
          syncId = d.id;
          throw new RangeError('limit missing');
        }),
      RangeError,
    );
    // A callback that throws before its first await: the promise rejects, nothing throws synchronously.
    const rejected = sdk.dt.decision({ type: 'early.throw' }, () => {
      throw new TypeError('early');
    });
    await assert.rejects(rejected, TypeError);

    const records = await sdk.records();
    const asyncRecord = get(records, asyncId);
    assert.deepEqual(asyncRecord.error, { message: 'gateway timeout', error_type: 'PaymentGatewayError' });
    assert.equal(asyncRecord.status, 'errored');
    assert.deepEqual(asyncRecord.evidence, { amount: 10 }, 'what was recorded before the error is kept');
    assert.deepEqual(get(records, syncId).error, { message: 'limit missing', error_type: 'RangeError' });

    const span = sdk.exportedSpans().find((s) => s.attributes['dt.decision_id'] === asyncId)!;
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.status.message, 'gateway timeout');
    assert.ok(
      span.events.some((e) => e.name === 'exception'),
      'the exception is recorded on the span',
    );
    await sdk.shutdown();
  });

  test('nested decisions across await and Promise.all keep the right parents', async () => {
    const sdk = makeSdk();
    const expectedParent = new Map<string, string | null>();
    const spanOf = new Map<string, string>();

    async function child(parent: Decision, index: number): Promise<void> {
      await sdk.dt.decision({ type: 'tool.select.v1' }, async (c) => {
        expectedParent.set(c.id, parent.id);
        spanOf.set(c.id, c.spanId);
        await sleep(5 * ((index * 7) % 4));
        await Promise.all(
          [0, 1].map((g) =>
            sdk.dt.decision({ type: 'arg.fill.v1' }, async (gc) => {
              expectedParent.set(gc.id, c.id);
              spanOf.set(gc.id, gc.spanId);
              await sleep(3 * ((index + g) % 3));
              gc.outcome(`arg-${index}-${g}`);
            }),
          ),
        );
        c.outcome(`tool-${index}`);
      });
    }

    async function agentRun(name: string): Promise<void> {
      await sdk.dt.decision({ type: 'agent.plan.v1', actor: { id: name, type: 'agent' } }, async (p) => {
        expectedParent.set(p.id, null);
        spanOf.set(p.id, p.spanId);
        await sleep(2);
        await Promise.all([0, 1, 2].map((i) => child(p, i)));
        // After the children, this is still the parent's context.
        const after = await sdk.dt.decision({ type: 'reply.compose.v1' }, (r) => r.parentId);
        assert.equal(after, p.id);
        p.outcome('done');
      });
    }
    // Two agents interleave on the event loop: their contexts must not bleed into each other.
    await Promise.all([agentRun('agent-a'), agentRun('agent-b')]);

    const records = await sdk.records();
    assert.equal(expectedParent.size, 2 * (1 + 3 + 6));
    for (const [id, parent] of expectedParent) assert.equal(get(records, id).parent_decision_id, parent, `parent of ${id}`);
    // The spans nest the same way, so trace views show the same tree.
    const spans = new Map(sdk.exportedSpans().map((s) => [s.spanContext().spanId, s]));
    for (const [id, parent] of expectedParent) {
      const span = spans.get(spanOf.get(id)!)!;
      assert.equal(span.parentSpanContext?.spanId, parent === null ? undefined : spanOf.get(parent));
    }
    await sdk.shutdown();
  });

  test('evidence is snapshotted at capture: later mutation does not show in the record', async () => {
    const sdk = makeSdk();
    const customer = { id: 'c-9', tier: 'gold', history: [{ order: 'o-1', refunded: false }] };
    const tags = new Set(['vip']);
    const limits = new Map([['daily', 500]]);
    const factors: Record<string, unknown> = { risk: 'low' };
    const alternatives = ['deny'];
    const inputs = { amount: 120 };
    const id = await sdk.dt.decision({ type: 'refund.approve.v2' }, async (d) => {
      d.evidence('customer', customer).evidence('tags', tags).evidence('limits', limits);
      d.policyCheck('limit', 'pass', inputs);
      d.outcome('approved', { factors, alternatives });
      customer.tier = 'bronze';
      customer.history[0].refunded = true;
      customer.history.push({ order: 'o-2', refunded: true });
      tags.add('fraud-suspect');
      limits.set('daily', 0);
      factors.risk = 'high';
      alternatives.push('escalate');
      inputs.amount = 9999;
      await sleep(1);
      return d.id;
    });
    const record = get(await sdk.records(), id);
    assert.deepEqual(record.evidence, {
      customer: { id: 'c-9', tier: 'gold', history: [{ order: 'o-1', refunded: false }] },
      tags: ['vip'],
      limits: { daily: 500 },
    });
    assert.deepEqual(record.policy_checks[0].inputs, { amount: 120 });
    assert.deepEqual(record.factors, { risk: 'low' });
    assert.deepEqual(record.alternatives, ['deny']);
    await sdk.shutdown();
  });

  test('any value is safe evidence: class instances, Errors, BigInt, circular references, hostile getters', async () => {
    const sdk = makeSdk();
    class Money {
      constructor(
        readonly cents: bigint,
        readonly currency: string,
      ) {}
      format(): string {
        return `${this.cents} ${this.currency}`;
      }
    }
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    node.children = [{ parent: node, name: 'leaf' }];
    const hostile = {
      ok: 1,
      get secret(): string {
        throw new Error('no access');
      },
    };
    const cause = new Error('upstream 503');
    const failure = Object.assign(new Error('lookup failed', { cause }), { code: 'E_LOOKUP' });
    const id = await sdk.dt.decision({ type: 'x.v1' }, (d) => {
      d.evidence('price', new Money(12_345n, 'EUR'));
      d.evidence('big', 2n ** 70n);
      d.evidence('graph', node);
      d.evidence('hostile', hostile);
      d.evidence('failure', failure);
      d.evidence('when', new Date('2026-01-02T03:04:05.000Z'));
      d.evidence('nothing', undefined);
      d.evidence('callback', function lookup() {});
      return d.id;
    });
    const evidence = get(await sdk.records(), id).evidence;
    assert.deepEqual(evidence.price, { cents: '12345', currency: 'EUR' });
    assert.equal(evidence.big, '1180591620717411303424');
    assert.deepEqual(evidence.graph, { name: 'root', self: '[Circular]', children: [{ parent: '[Circular]', name: 'leaf' }] });
    assert.deepEqual(evidence.hostile, { ok: 1, secret: '[Unserializable]' });
    assert.deepEqual(evidence.failure, {
      name: 'Error',
      message: 'lookup failed',
      code: 'E_LOOKUP',
      cause: { name: 'Error', message: 'upstream 503' },
    });
    assert.equal(evidence.when, '2026-01-02T03:04:05.000Z');
    assert.equal(evidence.nothing, null);
    assert.equal(evidence.callback, '[Function lookup]');
    await sdk.shutdown();
  });

  test('decisions are recorded when the head sampler drops the whole trace (AlwaysOffSampler)', async () => {
    const sdk = makeSdk({ sampler: new AlwaysOffSampler() });
    const ids = await refundDecision(sdk, { id: 'o-2', amount: 80, items: ['toaster'] });
    const childIds: string[] = [];
    await sdk.dt.decision({ type: 'agent.plan.v1' }, async (p) => {
      await Promise.all(
        [1, 2].map(() =>
          sdk.dt.decision({ type: 'tool.select.v1' }, async (c) => {
            await sleep(1);
            childIds.push(c.id);
            assert.equal(c.parentId, p.id);
          }),
        ),
      );
    });
    assert.equal(sdk.exportedSpans().length, 0, 'the trace was not sampled: no spans');
    const records = await sdk.records();
    const record = get(records, ids.id);
    assert.equal(record.outcome, 'approved');
    assert.deepEqual(record.evidence, { order_id: 'o-2', amount: 80, items: ['toaster'] });
    assert.equal(record.trace_id, ids.traceId);
    assert.equal(record.span_id, ids.spanId);
    assert.match(record.trace_id!, /^[0-9a-f]{32}$/);
    assert.equal(record.service_name, 'refund-service');
    assert.deepEqual(record.causal_links, [{ type: 'depends_on', target_decision_id: 'fraud-check-1' }]);
    assert.ok(record.duration_ms !== null && record.duration_ms >= 0);
    const parentId = get(records, childIds[0]).parent_decision_id;
    assert.ok(parentId !== null);
    for (const id of childIds) assert.equal(get(records, id).parent_decision_id, parentId);
    await sdk.shutdown();
  });

  test('under a ratio sampler every decision is recorded exactly once, sampled or not', async () => {
    const sdk = makeSdk({ sampler: new TraceIdRatioBasedSampler(0.5) });
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      ids.push(await sdk.dt.decision({ type: 'route.pick.v1' }, (d) => d.outcome(`r${i}`).id));
    }
    const sampledSpans = sdk.exportedSpans();
    assert.ok(sampledSpans.length > 40 && sampledSpans.length < 160, `${sampledSpans.length} of 200 sampled`);
    await sdk.processor.forceFlush();
    const events = (sdk.sink as InMemoryDecisionSink).events;
    assert.equal(events.length, 200, 'one event per decision: the processor and the direct path never both ran');
    assert.deepEqual(new Set(events.map((e) => e.decision_id)), new Set(ids));
    const records = await sdk.records();
    for (const span of sampledSpans) {
      const record = get(records, span.attributes['dt.decision_id'] as string);
      assert.equal(record.span_id, span.spanContext().spanId);
    }
    await sdk.shutdown();
  });

  test("with #5's DecisionAwareSampler the decision span is recorded, not sampled: the processor records it", async () => {
    const sdk = makeSdk({ sampler: new DecisionAwareSampler(new AlwaysOffSampler()) });
    const made = await sdk.dt.decision({ type: 'refund.approve.v2' }, (d) => {
      assert.equal(d.span.isRecording(), true, 'recorded for the processor');
      assert.equal(d.span.spanContext().traceFlags & TraceFlags.SAMPLED, 0, 'but not sampled');
      d.evidence('amount', 5).outcome('approved');
      return { id: d.id, spanId: d.spanId };
    });
    assert.equal(sdk.exportedSpans().length, 0, 'trace exporters see only sampled spans');
    await sdk.processor.forceFlush();
    const events = (sdk.sink as InMemoryDecisionSink).events;
    assert.equal(events.length, 1, 'recorded once: a recorded span is left to the processor');
    assert.equal(events[0].span_id, made.spanId);
    assert.equal(get(await sdk.records(), made.id).outcome, 'approved');
    await sdk.shutdown();
  });

  for (const [name, sink] of [
    [
      'throws synchronously',
      {
        export: () => {
          throw new Error('sink exploded');
        },
      },
    ],
    [
      'rejects',
      {
        export: async () => {
          throw new DecisionSinkError('backend down', { retryable: true });
        },
      },
    ],
    ['hangs', { export: () => new Promise<void>(() => {}) }],
  ] as Array<[string, DecisionSink]>) {
    test(`a sink that ${name} changes nothing for the caller`, async () => {
      const sdk = makeSdk({
        sink,
        processor: { scheduledDelayMillis: 0, exportTimeoutMillis: 50, shutdownTimeoutMillis: 100, retry: { initialBackoffMillis: 1 } },
      });
      for (const sampler of ['sampled', 'direct']) {
        const started = performance.now();
        const results: number[] = [];
        for (let i = 0; i < 50; i++) {
          results.push(
            await sdk.dt.decision({ type: 'refund.approve.v2' }, async (d) => {
              d.evidence('i', i).outcome('approved');
              return i * 2;
            }),
          );
          // Delivery attempts run between decisions; they must not reach the caller either.
          await new Promise((resolve) => setImmediate(resolve));
        }
        assert.deepEqual(
          results,
          Array.from({ length: 50 }, (_, i) => i * 2),
          sampler,
        );
        assert.ok(performance.now() - started < 1000, `50 decisions took ${performance.now() - started} ms`);
      }
      assert.equal(
        sdk.dt.decisionSync({ type: 'sync.v1' }, (d) => d.outcome('ok').outcomeValue),
        'ok',
      );
      await sdk.shutdown();
    });
  }

  test('decisionSync returns the callback value synchronously and records the decision', async () => {
    const sdk = makeSdk();
    let id = '';
    const value = sdk.dt.decisionSync({ type: 'limit.check.v1', tenant: 't1' }, (d) => {
      id = d.id;
      d.evidence('limit', 500).outcome('within', { confidence: 1 });
      return 42;
    });
    assert.equal(value, 42);
    const record = get(await sdk.records(), id);
    assert.equal(record.outcome, 'within');
    assert.equal(record.tenant, 't1');
    await sdk.shutdown();
  });

  test('given ids and parents are kept; misuse is ignored rather than thrown', async () => {
    const sdk = makeSdk();
    await sdk.dt.decision({ type: 'a.v1', id: 'my-decision-1', parentId: 'upstream-7' }, (d) => {
      d.evidence('', 1);
      d.link('not-a-link-type' as never, 'x');
      d.link('triggered_by', { id: 'event-42' });
      d.outcome('ok');
    });
    let leaked: Decision | undefined;
    await sdk.dt.decision({ type: 'b.v1', id: 'my-decision-2' }, (d) => {
      leaked = d;
    });
    leaked!.evidence('late', 1).outcome('changed');
    const records = await sdk.records();
    const record = get(records, 'my-decision-1');
    assert.equal(record.parent_decision_id, 'upstream-7');
    assert.deepEqual(record.evidence, {});
    assert.deepEqual(record.causal_links, [{ type: 'triggered_by', target_decision_id: 'event-42' }]);
    assert.equal(get(records, 'my-decision-2').outcome, null, 'calls after the end are ignored');
    await sdk.shutdown();
  });
});
