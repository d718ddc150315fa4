// Traces for the sampling tests: each trace has a root span, a child and one decision span.
import { randomBytes } from 'node:crypto';
import type { AttributeValue, ResourceSpans, Span } from '@decision-trace/model';
import { makeResourceSpans, makeSpan as makeModelSpan } from '@decision-trace/model/testing';
import { pino } from 'pino';
import { offlineHost, type Host, type TraceBatch } from '@decision-trace/collector';
import { MetricsRegistry } from '../packages/collector/src/telemetry/metrics-registry.js';

export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
export const silentLogger = pino({ level: 'silent' });
/** The offline host, counting into `metrics` (a fresh registry per call by default). */
export function metricsHost(metrics = new MetricsRegistry()): Host {
  return { ...offlineHost(), metrics };
}
export const noHost = metricsHost();

/** A 5 ms child span (of a random parent) of the trace, starting now. */
export function makeSpan(traceId: string, overrides: Partial<Span> = {}): Span {
  const start = BigInt(Date.now()) * 1_000_000n;
  return makeModelSpan({ traceId, parentSpanId: hex(8), name: 'work', startTimeUnixNano: start, endTimeUnixNano: start + 5_000_000n, ...overrides });
}

export interface TraceSpec {
  traceId?: string;
  decision?: Record<string, AttributeValue>;
  error?: boolean;
}

/** Root + child (+ a decision span under the root when `decision` is given). */
export function makeTrace(spec: TraceSpec = {}): { traceId: string; spans: Span[]; decisionSpanId?: string } {
  const traceId = spec.traceId ?? hex(16);
  const root = makeSpan(traceId, { parentSpanId: '', name: 'request', status: { code: spec.error ? 2 : 0, message: '' } });
  const spans = [root, makeSpan(traceId, { parentSpanId: root.spanId, name: 'db' })];
  let decisionSpanId: string | undefined;
  if (spec.decision) {
    const decision = makeSpan(traceId, { parentSpanId: root.spanId, name: 'decide', attributes: spec.decision });
    decisionSpanId = decision.spanId;
    spans.push(decision);
  }
  return { traceId, spans, decisionSpanId };
}

export function asResourceSpans(spans: Span[], service = 'refund-service'): ResourceSpans[] {
  return [makeResourceSpans(spans, { resourceAttributes: { 'service.name': service } })];
}

export function refundDecision(outcome: string, confidence: number): Record<string, AttributeValue> {
  return {
    'decision.type': 'refund.approve.v2',
    'decision.outcome': outcome,
    'decision.confidence': confidence,
    'decision.actor.type': 'agent',
    'decision.tenant_id': 'acme',
  };
}

export function batchOf(resourceSpans: ResourceSpans[]): TraceBatch {
  let spanCount = 0;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans) spanCount += ss.spans.length;
  return { resourceSpans, spanCount, decisions: [] };
}
