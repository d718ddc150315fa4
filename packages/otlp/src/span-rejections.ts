import type { Span } from '@decision-trace/model';

const TRACE_ID_HEX_LENGTH = 32;
const SPAN_ID_HEX_LENGTH = 16;
const ZERO_TRACE_ID = '0'.repeat(TRACE_ID_HEX_LENGTH);
const ZERO_SPAN_ID = '0'.repeat(SPAN_ID_HEX_LENGTH);

function describeIdLength(label: string, hex: string, expectedHexLength: number): string | undefined {
  if (hex.length === expectedHexLength) return undefined;
  return `${label} is ${hex.length / 2} bytes, expected ${expectedHexLength / 2}`;
}

/**
 * Why a normalized span's ids make it unusable, or undefined when they are fine. Links are
 * checked too: downstream lineage and record ids are derived from them.
 *
 * The OTLP specification calls an all-zero trace_id or span_id of a span invalid. A link's
 * all-zero ids are not refused: the OTel specification asks SDKs to keep a link to an invalid
 * span context when it has attributes or a trace state, so such links are legitimate.
 */
export function describeInvalidSpanIds(span: Span): string | undefined {
  const problem =
    describeIdLength('traceId', span.traceId, TRACE_ID_HEX_LENGTH) ??
    describeIdLength('spanId', span.spanId, SPAN_ID_HEX_LENGTH) ??
    (span.traceId === ZERO_TRACE_ID ? 'traceId is all zeros, which OTLP defines as invalid' : undefined) ??
    (span.spanId === ZERO_SPAN_ID ? 'spanId is all zeros, which OTLP defines as invalid' : undefined) ??
    (span.parentSpanId === '' ? undefined : describeIdLength('parentSpanId', span.parentSpanId, SPAN_ID_HEX_LENGTH));
  if (problem !== undefined) return problem;
  const links = span.links;
  for (let i = 0; i < links.length; i++) {
    const linkProblem = describeIdLength('traceId', links[i].traceId, TRACE_ID_HEX_LENGTH) ?? describeIdLength('spanId', links[i].spanId, SPAN_ID_HEX_LENGTH);
    if (linkProblem !== undefined) return `links[${i}].${linkProblem}`;
  }
  return undefined;
}

export function spanPath(resourceIndex: number, scopeIndex: number, spanIndex: number): string {
  return `resourceSpans[${resourceIndex}].scopeSpans[${scopeIndex}].spans[${spanIndex}]`;
}

/** Counts spans left out of a request and keeps the first reason for the response. */
export class SpanRejections {
  count = 0;
  private firstReason = '';

  reject(path: string, problem: string): void {
    if (this.count === 0) this.firstReason = `${path}.${problem}`;
    this.count++;
  }

  /** Forgets the spans rejected since the count was `count`: for a part of the request about to be decoded again. */
  rollback(count: number): void {
    this.count = count;
    if (count === 0) this.firstReason = '';
  }

  get errorMessage(): string {
    if (this.count === 0) return '';
    if (this.count === 1) return `rejected 1 span: ${this.firstReason}`;
    return `rejected ${this.count} spans, first: ${this.firstReason}`;
  }
}
