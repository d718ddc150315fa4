// Traces for routing tests: made deterministically from a seed, their spans shuffled across
// batches (as many SDKs and a front load balancer deliver them), and where each trace landed.
import { createHash } from 'node:crypto';
import type { ResourceSpans, Span } from '@decision-trace/model';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { TraceBatch } from '../../packages/collector/src/component/component.js';
import { makeSpan as makeModelSpan } from '@decision-trace/model/testing';

export interface TestTrace {
  traceId: string;
  spanIds: string[];
  service: string;
  /** The first span is a decision span (decision.* attributes) when set: its outcome. */
  outcome?: 'approved' | 'denied';
}

const SERVICES = ['checkout', 'payments', 'refunds'];

function hex(seed: string, bytes: number): string {
  return createHash('sha256')
    .update(seed)
    .digest('hex')
    .slice(0, bytes * 2);
}

/** `count` traces of `spansPerTrace` spans; with `decisions`, each trace's root span is a decision. */
export function makeTraces(count: number, spansPerTrace: number, seed: string, decisions = false): TestTrace[] {
  return Array.from({ length: count }, (_, i) => ({
    traceId: hex(`${seed}:trace:${i}`, 16),
    spanIds: Array.from({ length: spansPerTrace }, (_, j) => hex(`${seed}:span:${i}:${j}`, 8)),
    service: SERVICES[i % SERVICES.length],
    outcome: decisions ? (i % 3 === 0 ? 'denied' : 'approved') : undefined,
  }));
}

/** More spans of the same traces (late arrivals), with fresh span ids. */
export function laterSpansOf(traces: TestTrace[], seed: string): TestTrace[] {
  return traces.map((trace, i) => ({ ...trace, outcome: undefined, spanIds: trace.spanIds.map((_, j) => hex(`${seed}:span:${i}:${j}`, 8)) }));
}

function makeSpan(trace: TestTrace, index: number, start: bigint): Span {
  const decision = index === 0 && trace.outcome !== undefined;
  return makeModelSpan({
    traceId: trace.traceId,
    spanId: trace.spanIds[index],
    parentSpanId: index === 0 ? '' : trace.spanIds[0],
    name: decision ? 'refund.decide' : `step ${index}`,
    startTimeUnixNano: start + BigInt(index) * 1000n,
    endTimeUnixNano: start + BigInt(index) * 1000n + 500n,
    attributes: decision
      ? { 'decision.type': 'refund.approve.v2', 'decision.outcome': trace.outcome!, 'decision.confidence': trace.outcome === 'denied' ? 0.4 : 0.9 }
      : { 'span.index': index },
  });
}

/** A small deterministic PRNG (mulberry32): the same shuffle in every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Every span of every trace, shuffled, cut into batches of `batchSize` spans grouped by service.
 * `window`: shuffle only among that many consecutive traces, so a trace's spans arrive within a
 * few requests of each other, not over the whole run (a tail sampler's decision_wait then holds
 * them however slowly the requests go out); the whole set when absent.
 */
export function shuffledBatches(traces: TestTrace[], batchSize: number, seed: number, window = traces.length): TraceBatch[] {
  const start = BigInt(Date.now()) * 1_000_000n;
  const all: Array<{ trace: TestTrace; span: Span }> = [];
  const next = random(seed);
  for (let first = 0; first < traces.length; first += window) {
    const part: Array<{ trace: TestTrace; span: Span }> = [];
    for (const trace of traces.slice(first, first + window)) trace.spanIds.forEach((_, i) => part.push({ trace, span: makeSpan(trace, i, start) }));
    for (let i = part.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [part[i], part[j]] = [part[j], part[i]];
    }
    all.push(...part);
  }
  const batches: TraceBatch[] = [];
  for (let offset = 0; offset < all.length; offset += batchSize) {
    const slice = all.slice(offset, offset + batchSize);
    const byService = new Map<string, Span[]>();
    for (const { trace, span } of slice) {
      const spans = byService.get(trace.service) ?? [];
      spans.push(span);
      byService.set(trace.service, spans);
    }
    const resourceSpans: ResourceSpans[] = [...byService].map(([service, spans]) => ({
      resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'routing-test', version: '1', attributes: {}, droppedAttributesCount: 0 }, spans, schemaUrl: '' }],
      schemaUrl: '',
    }));
    batches.push({ resourceSpans, spanCount: slice.length, decisions: [] });
  }
  return batches;
}

/** The same batches as OTLP/protobuf request bodies. */
export function shuffledRequests(traces: TestTrace[], batchSize: number, seed: number, window?: number): Buffer[] {
  return shuffledBatches(traces, batchSize, seed, window).map((batch) => Buffer.from(encodeTraceRequestProtobuf(batch.resourceSpans)));
}

/** For each trace, the sinks (by url) that received any of its spans. */
export function tracesPerSink(traces: TestTrace[], sinks: Array<{ url: string; spanArrivals: Map<string, number> }>): Map<string, Set<string>> {
  const placement = new Map<string, Set<string>>();
  for (const trace of traces) {
    const at = new Set<string>();
    for (const sink of sinks) if (trace.spanIds.some((id) => sink.spanArrivals.has(id))) at.add(sink.url);
    placement.set(trace.traceId, at);
  }
  return placement;
}
