import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';

/**
 * Two services, each with its own OpenTelemetry SDK and exporter, joined only by the W3C
 * `traceparent` header: the downstream service's decision gets the upstream decision as its
 * parent, even though the downstream service's spans reach the collector first.
 */
let collector: RunningCollector;
before(async () => {
  collector = await startCollector();
});
after(async () => {
  await collector.stop();
});

function service(name: string) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': name }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }))],
  });
  return { provider, tracer: provider.getTracer(name) };
}

test('a decision in another service, joined by traceparent, gets the calling decision as parent', async () => {
  const propagator = new W3CTraceContextPropagator();
  const checkout = service('checkout');
  const refunds = service('refunds');

  const route = checkout.tracer.startSpan('route order', {
    attributes: { 'decision.type': 'order.route.v1', 'decision.outcome': 'refunds', 'decision.tenant_id': 'acme' },
  });
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, route), headers, defaultTextMapSetter);
  assert.match(headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

  // The refunds service only sees the header.
  const incoming = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const server = refunds.tracer.startSpan('POST /refunds', {}, incoming);
  const approve = refunds.tracer.startSpan(
    'approve refund',
    { attributes: { 'decision.type': 'refund.approve.v2', 'decision.outcome': 'approved', 'decision.tenant_id': 'acme' } },
    trace.setSpan(incoming, server),
  );
  approve.end();
  server.end();
  route.end();

  // Downstream first: its decision arrives before the decision it was made under.
  await refunds.provider.forceFlush();
  await checkout.provider.forceFlush();

  const traceId = route.spanContext().traceId;
  assert.equal(approve.spanContext().traceId, traceId);
  const res = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${traceId}`);
  const { decisions } = (await res.json()) as { decisions: DecisionRecord[] };
  const routeDecision = decisions.find((d) => d.type === 'order.route');
  const approveDecision = decisions.find((d) => d.type === 'refund.approve');
  assert.ok(routeDecision && approveDecision, JSON.stringify(decisions));
  assert.equal(routeDecision.service_name, 'checkout');
  assert.equal(approveDecision.service_name, 'refunds');
  assert.equal(approveDecision.parent_decision_id, routeDecision.id);
  assert.equal(routeDecision.parent_decision_id, null);
  await Promise.all([checkout.provider.shutdown(), refunds.provider.shutdown()]);
});
