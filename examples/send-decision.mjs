// A service instrumented with the OpenTelemetry JS SDK records a decision as span attributes.
// Run the collector (`npm start`), then `node examples/send-decision.mjs`, then
// `npx decision-trace query` and `npx decision-trace show <id>`.
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { trace } from '@opentelemetry/api';

const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
  traceExporter: new OTLPTraceExporter({ url: process.env.OTLP_URL ?? 'http://localhost:4318/v1/traces' }),
  instrumentations: [],
});
sdk.start();

const tracer = trace.getTracer('refund-service');

await tracer.startActiveSpan('POST /refunds', async (request) => {
  await tracer.startActiveSpan('refund.decide', async (span) => {
    span.setAttributes({
      'decision.type': 'refund.approve.v2',
      'decision.actor.id': 'refund-agent',
      'decision.actor.type': 'agent',
      'decision.evidence.amount': 120,
      'decision.evidence.customer_tier': 'gold',
      'decision.policy.refund_limit': 'pass',
      'decision.outcome': 'approved',
      'decision.confidence': 0.92,
      'decision.alternatives': JSON.stringify(['deny', 'escalate']),
      'decision.factors': JSON.stringify({ amount_ok: true, risk: 'low' }),
    });
    // A nested decision: its parent is found through the span tree.
    span.addEvent('decision', {
      'decision.type': 'notify.channel.v1',
      'decision.actor.type': 'system',
      'decision.outcome': 'email',
      'decision.alternatives': ['sms', 'none'],
    });
    span.end();
  });
  request.end();
  console.log(`trace ${request.spanContext().traceId} sent`);
});

await sdk.shutdown();
