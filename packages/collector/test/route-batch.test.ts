import { makeDecisionEvent, makeSpan } from '@decision-trace/model/testing';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DecisionEvent, ResourceSpans, Span } from '@decision-trace/model';
import type { TraceBatch } from '../src/component/component.js';
import { normalizeBackendAddress, loadBalancingExporterSchema } from '../src/exporters/load_balancing/config.js';
import { routeBatch } from '../src/exporters/load_balancing/route-batch.js';

function span(traceId: string, spanId: string): Span {
  return makeSpan({ traceId, spanId, name: `span ${spanId}`, startTimeUnixNano: 1n, endTimeUnixNano: 2n });
}

function resource(service: string, scopes: Span[][]): ResourceSpans {
  return {
    resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
    scopeSpans: scopes.map((spans, i) => ({ scope: { name: `scope-${i}`, version: '', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' })),
    schemaUrl: '',
  };
}

function decision(id: string, traceId: string | null, service: string | null = null): DecisionEvent {
  return makeDecisionEvent({
    event_id: `e-${id}`,
    decision_id: id,
    decision_type: 'refund.approve',
    trace_id: traceId,
    timestamp: '2026-01-01T00:00:00.000Z',
    service_name: service,
  });
}

/** Routes by the key's first character: traces/services starting with `a` → 0, `b` → 1, `c` → 2. */
const byFirstLetter = (key: string) => 'abc'.indexOf(key[0] ?? '');

function spansOf(batch: TraceBatch): string[] {
  return batch.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)));
}

describe('splitting a batch per backend', () => {
  test('traceID: each span goes where its trace routes; resources and scopes are kept around them', () => {
    const batch: TraceBatch = {
      resourceSpans: [
        resource('checkout', [[span('a1', 's1'), span('b1', 's2'), span('a1', 's3')], [span('c1', 's4')]]),
        resource('payments', [[span('b1', 's5'), span('b2', 's6')]]),
      ],
      spanCount: 6,
      decisions: [decision('d1', 'a1'), decision('d2', 'b2'), decision('d3', null)],
      tenant: 'acme',
    };
    // d3 has no trace: it routes by its decision id ('d…' → no owner here, so use a router that knows it).
    const router = (key: string) => (key === 'd3' ? 2 : byFirstLetter(key));
    const parts = new Map(routeBatch(batch, 'traceID', router).map((p) => [p.owner, p.batch]));
    assert.deepEqual([...parts.keys()].sort(), [0, 1, 2]);
    assert.deepEqual(spansOf(parts.get(0)!), ['s1', 's3']);
    assert.deepEqual(spansOf(parts.get(1)!), ['s2', 's5', 's6']);
    assert.deepEqual(spansOf(parts.get(2)!), ['s4']);
    assert.deepEqual(
      [0, 1, 2].map((o) => parts.get(o)!.spanCount),
      [2, 3, 1],
    );
    assert.deepEqual(
      parts.get(0)!.decisions.map((d) => d.decision_id),
      ['d1'],
    );
    assert.deepEqual(
      parts.get(1)!.decisions.map((d) => d.decision_id),
      ['d2'],
    );
    assert.deepEqual(
      parts.get(2)!.decisions.map((d) => d.decision_id),
      ['d3'],
    );
    for (const part of parts.values()) assert.equal(part.tenant, 'acme');
    // Part 1 holds spans of both resources, each under its own resource and scope.
    assert.deepEqual(
      parts.get(1)!.resourceSpans.map((rs) => [rs.resource.attributes['service.name'], rs.scopeSpans.map((ss) => ss.scope.name)]),
      [
        ['checkout', ['scope-0']],
        ['payments', ['scope-0']],
      ],
    );
    assert.equal(batch.spanCount, 6, 'the input batch is not changed');
    assert.equal(spansOf(batch).length, 6);
  });

  test('everything for one backend: the batch itself, not a copy', () => {
    const batch: TraceBatch = { resourceSpans: [resource('x', [[span('a1', 's1'), span('a2', 's2')]])], spanCount: 2, decisions: [decision('d', 'a1')] };
    const parts = routeBatch(batch, 'traceID', byFirstLetter);
    assert.equal(parts.length, 1);
    assert.equal(parts[0].owner, 0);
    assert.equal(parts[0].batch, batch);
  });

  test('a decision goes with its trace even when the batch holds none of its spans', () => {
    const batch: TraceBatch = { resourceSpans: [resource('x', [[span('a1', 's1')]])], spanCount: 1, decisions: [decision('d', 'b9')] };
    const parts = new Map(routeBatch(batch, 'traceID', byFirstLetter).map((p) => [p.owner, p.batch]));
    assert.equal(parts.get(1)!.spanCount, 0);
    assert.deepEqual(
      parts.get(1)!.decisions.map((d) => d.decision_id),
      ['d'],
    );
  });

  test('service: whole resources route by service.name; decisions by their service', () => {
    const batch: TraceBatch = {
      resourceSpans: [resource('alpha', [[span('z1', 's1'), span('y1', 's2')]]), resource('beta', [[span('z1', 's3')]])],
      spanCount: 3,
      decisions: [decision('d1', 'z1', 'beta'), decision('d2', 'y1', 'alpha')],
    };
    const parts = new Map(routeBatch(batch, 'service', byFirstLetter).map((p) => [p.owner, p.batch]));
    assert.deepEqual(spansOf(parts.get(0)!), ['s1', 's2']);
    assert.deepEqual(spansOf(parts.get(1)!), ['s3']);
    assert.deepEqual(
      parts.get(0)!.decisions.map((d) => d.decision_id),
      ['d2'],
    );
    assert.deepEqual(
      parts.get(1)!.decisions.map((d) => d.decision_id),
      ['d1'],
    );
  });

  test('an empty batch routes nowhere', () => {
    assert.deepEqual(routeBatch({ resourceSpans: [], spanCount: 0, decisions: [] }, 'traceID', byFirstLetter), []);
  });
});

describe('load_balancing config', () => {
  test('backend addresses: the port defaults to 4317; IPv6 keeps its brackets', () => {
    assert.equal(normalizeBackendAddress('sampler-1'), 'sampler-1:4317');
    assert.equal(normalizeBackendAddress(' sampler-1:5317 '), 'sampler-1:5317');
    assert.equal(normalizeBackendAddress('[::1]'), '[::1]:4317');
    assert.equal(normalizeBackendAddress('[FD00::2]:9'), '[fd00::2]:9');
    assert.equal(normalizeBackendAddress('http://x:1'), undefined);
    assert.equal(normalizeBackendAddress('x:0'), undefined);
    assert.equal(normalizeBackendAddress('x:70000'), undefined);
  });

  test('defaults and refusals', () => {
    const parsed = loadBalancingExporterSchema.parse({ resolver: { dns: { hostname: 'samplers.svc' } } });
    assert.equal(parsed.routing_key, 'traceID');
    assert.deepEqual(parsed.resolver.dns, { hostname: 'samplers.svc', port: 4317, interval: 5000, timeout: 1000 });
    assert.equal(parsed.protocol.otlp.timeout, 5000);
    assert.equal(parsed.protocol.otlp.sending_queue.queue_size, 1000);

    const bad = loadBalancingExporterSchema.safeParse({
      routing_key: 'metric',
      protocol: { otlp: { endpoint: 'x:4317' } },
      resolver: { static: { hostnames: ['a:1'] }, dns: { hostname: 'b' } },
    });
    assert.equal(bad.success, false);
    const problems = bad.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.code}`);
    assert.ok(problems.includes('routing_key: custom'), problems.join('\n'));
    assert.ok(problems.includes('protocol.otlp: unrecognized_keys'), 'the resolver supplies the endpoint');
    assert.ok(problems.includes('resolver: custom'), 'exactly one resolver');
  });
});
