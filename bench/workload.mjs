// Builds realistic OTLP trace requests for the benchmarks: 100 spans per request, 10% of them
// decision spans, attributes like those of an instrumented HTTP service calling an LLM.
import { randomBytes } from 'node:crypto';

const hex = (bytes) => randomBytes(bytes).toString('hex');

function contextSpan(traceId, parentSpanId, i, t0) {
  return {
    traceId,
    spanId: hex(8),
    parentSpanId,
    traceState: '',
    flags: 1,
    name: i % 3 === 0 ? 'GET /api/orders/{id}' : i % 3 === 1 ? 'SELECT orders' : 'chat gpt-4o-mini',
    kind: i % 3 === 0 ? 2 : 3,
    startTimeUnixNano: t0 + BigInt(i) * 1_000_000n,
    endTimeUnixNano: t0 + BigInt(i) * 1_000_000n + 750_000n,
    attributes: {
      'http.request.method': 'GET',
      'url.path': `/api/orders/${i}`,
      'http.response.status_code': 200,
      'server.address': 'orders.internal',
      'db.system': 'postgresql',
      'db.query.text': 'SELECT id, status, amount FROM orders WHERE id = $1',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 812,
      'gen_ai.usage.output_tokens': 64,
    },
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

function decisionSpan(traceId, parentSpanId, i, t0) {
  const span = contextSpan(traceId, parentSpanId, i, t0);
  span.name = 'refund.decide';
  span.attributes = {
    'decision.type': 'refund.approve.v2',
    'decision.outcome': i % 4 === 0 ? 'denied' : 'approved',
    'decision.confidence': 0.5 + (i % 50) / 100,
    'decision.factors': '{"amount_ok":true,"risk":"low","history_months":18}',
    'decision.alternatives': '["deny","escalate"]',
    'decision.actor.id': 'refund-agent-3',
    'decision.actor.type': 'agent',
    'decision.tenant_id': 'acme',
    'decision.evidence.amount': 120 + i,
    'decision.evidence.customer_tier': 'gold',
    'decision.policy.refund_limit': 'pass',
    'decision.policy.fraud_screen': 'clear',
  };
  return span;
}

/** One ExportTraceServiceRequest's resourceSpans: 10 traces of 10 spans, one decision per trace. */
export function makeRequest(spansPerRequest = 100, decisionEvery = 10) {
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const spans = [];
  let traceId = '';
  let rootId = '';
  for (let i = 0; i < spansPerRequest; i++) {
    if (i % 10 === 0) {
      traceId = hex(16);
      const root = contextSpan(traceId, '', i, t0);
      rootId = root.spanId;
      spans.push(root);
      continue;
    }
    spans.push(i % decisionEvery === 5 ? decisionSpan(traceId, rootId, i, t0) : contextSpan(traceId, rootId, i, t0));
  }
  return [
    {
      resource: {
        attributes: { 'service.name': 'refund-service', 'service.version': '1.4.2', 'host.name': 'node-1', 'deployment.environment': 'prod' },
        droppedAttributesCount: 0,
      },
      scopeSpans: [
        { scope: { name: '@opentelemetry/instrumentation-http', version: '0.200.0', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' },
      ],
      schemaUrl: '',
    },
  ];
}
