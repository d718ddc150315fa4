// A small refund agent instrumented with OpenTelemetry and the Decision Trace SDK.
//
//   npm start                                   # terminal 1: the collector + decision API
//   node examples/refund-agent/agent.mjs        # terminal 2: handles four refund requests
//   npx decision-trace show <decision id>       # the decision tree of one request
//
// Traces go to the collector's OTLP receiver as usual; decisions also go straight to the
// decision API through the DecisionSpanProcessor, so they are kept even for traces the head
// sampler drops (try OTEL_TRACES_SAMPLER=traceidratio OTEL_TRACES_SAMPLER_ARG=0.25).
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { DecisionSpanProcessor, HttpDecisionSink, decision, observe, traced } from '@decision-trace/sdk';
import { startLlmStandIn } from './llm-stand-in.mjs';
import { askModel } from './llm-client.mjs';
import { lookupOrder, lookupRefundHistory } from './tools.mjs';

const OTLP_URL = process.env.OTLP_URL ?? 'http://localhost:4318';
const DECISION_API = process.env.DECISION_TRACE_API ?? 'http://127.0.0.1:8711';

// The application's existing OpenTelemetry set-up, plus the decision processor.
const decisions = new DecisionSpanProcessor({ sink: new HttpDecisionSink({ endpoint: DECISION_API }) });
const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': 'refund-agent', 'deployment.environment.name': 'demo' }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${OTLP_URL}/v1/traces` })), decisions],
  instrumentations: [],
});
sdk.start();

const llm = await startLlmStandIn();
const AGENT = { id: 'refund-agent', type: 'agent', version: '1.0.0' };
const REFUND_LIMIT = 200;

const findOrder = observe(lookupOrder, { name: 'lookup_order', kind: 'TOOL' });
const findHistory = observe(lookupRefundHistory, { name: 'lookup_refund_history', kind: 'TOOL' });

/** One request: a refund decision with a tier decision and (if approved) a channel decision inside. */
async function handleRefund(request) {
  return traced({ name: 'POST /refunds', kind: 'CHAIN', userId: request.customerId }, () =>
    decision({ type: 'refund.approve.v2', actor: AGENT, tenant: 'acme', linkCallerSpan: true }, async (d) => {
      const order = await findOrder(request.orderId);
      d.evidence('order', order).evidence('reason', request.reason);
      const withinLimit = order.amount <= REFUND_LIMIT;
      d.policyCheck('refund_limit', withinLimit ? 'pass' : 'fail', { limit: REFUND_LIMIT, amount: order.amount });

      const tier = await decision({ type: 'customer.tier.assess.v1', actor: AGENT, tenant: 'acme' }, async (t) => {
        const history = await findHistory(order.customerId);
        t.evidence('refunds_last_90_days', history.refundsLast90Days).evidence('lifetime_value', history.lifetimeValue);
        const value = history.refundsLast90Days > 2 ? 'watch' : history.lifetimeValue > 1000 ? 'gold' : 'standard';
        t.outcome(value, { confidence: 0.95, alternatives: ['gold', 'standard', 'watch'].filter((v) => v !== value) });
        return value;
      });
      d.evidence('customer_tier', tier);
      d.policyCheck('abuse_watchlist', tier === 'watch' ? 'fail' : 'pass');

      const advice = await askModel(llm.url, order, request.reason);
      d.evidence('model_advice', advice);

      if (!withinLimit || tier === 'watch') {
        d.approval('required', { from: 'refund-supervisors', reason: withinLimit ? 'customer on watch list' : 'above limit' });
        d.outcome('escalated', { confidence: 1, alternatives: ['approved', 'denied'], factors: { within_limit: withinLimit, tier } });
        return { id: d.id, outcome: 'escalated' };
      }
      const approved = advice.decision === 'approve';
      d.outcome(approved ? 'approved' : 'denied', {
        confidence: advice.confidence,
        alternatives: approved ? ['denied', 'escalated'] : ['approved', 'escalated'],
        factors: { within_limit: withinLimit, tier, model: advice.rationale },
      });
      if (approved) {
        const channel = await decision({ type: 'refund.channel.select.v1', actor: AGENT, tenant: 'acme' }, (c) => {
          c.evidence('payment_method', order.paymentMethod);
          const value = order.paymentMethod === 'card' ? 'original_payment' : 'store_credit';
          c.outcome(value, { alternatives: ['original_payment', 'store_credit'].filter((v) => v !== value) });
          return value;
        });
        d.action('issue_refund', { amount: order.amount, currency: order.currency, channel });
      }
      return { id: d.id, outcome: approved ? 'approved' : 'denied' };
    }),
  );
}

const requests = [
  { orderId: 'o-1001', customerId: 'c-17', reason: 'kettle arrived broken' },
  { orderId: 'o-1002', customerId: 'c-23', reason: 'changed my mind' },
  { orderId: 'o-1003', customerId: 'c-17', reason: 'never arrived' },
  { orderId: 'o-1004', customerId: 'c-41', reason: 'screen defect' },
];

try {
  for (const request of requests) {
    const { id, outcome } = await handleRefund(request);
    console.log(`decision ${id} refund.approve.v2 ${outcome} (order ${request.orderId})`);
  }
} finally {
  // Flushes the trace exporter and the decision processor. An unreachable trace backend is
  // reported by the exporter; decision delivery failures only show in the stats below.
  await sdk.shutdown().catch((error) => console.error(`trace export: ${error.message}`));
  await llm.close();
}
const { exportedEvents, failedEvents, dropped } = decisions.stats;
console.log(`delivered ${exportedEvents} decision events to ${DECISION_API} (failed ${failedEvents}, dropped ${dropped})`);
console.log('see one with: npx decision-trace show <decision id>');
