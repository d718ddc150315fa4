import { context, trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';

/**
 * A tiny application instrumented with the real OpenTelemetry SDK that makes four decisions,
 * one of each input kind: span attributes, two `decision` span events, and the Decision Trace
 * SDK's `dt.*` spans (two spans of one decision).
 */
export interface AppTrace {
  traceId: string;
  rootSpanId: string;
  approveSpanId: string;
  toolSpanId: string;
  dtSpanIds: string[];
}

/**
 * `batch`: the exporter sits behind a BatchSpanProcessor, as in a NodeSDK set-up, so a trace's
 * spans travel together. `simple`: each span is exported alone as it ends, so children arrive
 * before their parents. A second processor keeps a copy of the spans for redelivery tests.
 */
export function makeProvider(exporter: SpanExporter, mode: 'batch' | 'simple' = 'batch') {
  const captured = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service', 'deployment.environment': 'test' }),
    spanProcessors: [mode === 'batch' ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(captured)],
  });
  return { provider, captured, tracer: provider.getTracer('decision-app', '1.0.0') };
}

/** `run` makes the given decision ids unique to one call, so several runs can share a store. */
export function recordRefundDecisions(tracer: Tracer, run: string): AppTrace {
  const root = tracer.startSpan('POST /refunds');
  const rootCtx = trace.setSpan(context.active(), root);

  const approve = tracer.startSpan(
    'refund.decide',
    {
      attributes: {
        'decision.type': 'refund.approve.v2',
        'decision.outcome': 'approved',
        'decision.confidence': 0.92,
        'decision.factors': JSON.stringify({ amount_ok: true, risk: 'low' }),
        'decision.alternatives': JSON.stringify(['deny', 'escalate']),
        'decision.actor.id': 'agent-7',
        'decision.actor.type': 'agent',
        'decision.tenant_id': 'acme',
        'decision.environment': 'test',
        'decision.evidence.amount': 120,
        'decision.evidence.customer_tier': 'gold',
        'decision.policy.refund_limit': 'pass',
      },
    },
    rootCtx,
  );
  const approveCtx = trace.setSpan(rootCtx, approve);

  const tool = tracer.startSpan('tool.lookup_order', {}, approveCtx);
  tool.addEvent('decision', {
    'decision.id': `tool-select-${run}`,
    'decision.type': 'tool.select.v1',
    'decision.outcome': 'lookup_order',
    'decision.confidence': 0.8,
    'decision.actor.id': 'agent-7',
    'decision.actor.type': 'agent',
    'decision.tenant_id': 'acme',
    'decision.alternatives': ['search_faq', 'ask_human'],
  });
  tool.addEvent('decision', {
    'decision.type': 'tool.select.v1',
    'decision.result': 'skip_refund_history',
    'decision.confidence': 0.55,
    'decision.tenant_id': 'acme',
  });
  tool.end();

  const dtStart = tracer.startSpan(
    'decision.start',
    {
      attributes: {
        'dt.decision_id': `fraud-check-${run}`,
        'dt.event_id': `fraud-check-${run}-start`,
        'dt.event_type': 'decision.start',
        'dt.decision_type': 'fraud.screen.v3',
        'dt.tenant_id': 'acme',
        'dt.schema_version': '1.0',
        'dt.actor.id': 'fraud-engine',
        'dt.actor.type': 'system',
        'dt.actor.version': '3.1.0',
        'dt.evidence.score': 0.12,
      },
    },
    approveCtx,
  );
  dtStart.end();
  const dtOutcome = tracer.startSpan(
    'decision.outcome',
    {
      attributes: {
        'dt.decision_id': `fraud-check-${run}`,
        'dt.event_id': `fraud-check-${run}-outcome`,
        'dt.event_type': 'decision.outcome',
        'dt.decision_type': 'fraud.screen.v3',
        'dt.tenant_id': 'acme',
        'dt.outcome': 'clear',
      },
    },
    approveCtx,
  );
  dtOutcome.end();

  approve.end();
  root.end();
  return {
    traceId: root.spanContext().traceId,
    rootSpanId: root.spanContext().spanId,
    approveSpanId: approve.spanContext().spanId,
    toolSpanId: tool.spanContext().spanId,
    dtSpanIds: [dtStart.spanContext().spanId, dtOutcome.spanContext().spanId],
  };
}
