import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ResourceSpans } from '@decision-trace/model';
import { decodeTraceRequestProtobuf, OtlpDecodeError, type DecodedTraceRequest } from '@decision-trace/otlp';
import { sliceTraceRequest } from './request-slices.js';

/**
 * How a receiver decodes binary protobuf for the pipelines behind it
 * (component.ts DownstreamSpanUse): `keepEncoding` when some exporter forwards spans in the
 * bytes they arrived in. Then a request decoded whole keeps the bytes of its resources and scopes
 * (@decision-trace/otlp received-encoding.ts). Slices never do: they hold parts of resources and
 * scopes, and the merge below adds spans to a slice's scope.
 */
export interface ProtobufDecoding {
  keepEncoding: boolean;
  /** Spans that cannot hold a decision as outlines: when every consumer behind reads only decision spans. */
  outlineNonDecisionSpans: boolean;
}

/** What a receiver that is told nothing of its pipelines does: decode everything, keep the bytes. */
export const FULL_DECODING: ProtobufDecoding = { keepEncoding: true, outlineNonDecisionSpans: false };

/** About 15 ms of decoding on a typical core. */
export const DEFAULT_SLICE_BYTES = 512 * 1024;

/**
 * Decodes a binary-protobuf request. A large one is decoded slice by slice with the event loop
 * free in between, so other connections are answered while it is decoded; the result is the
 * same as decoding it in one go. Whenever the slices cannot give exactly that result (broken
 * framing, an undecodable slice, rejected spans whose paths would be those of a slice) the
 * whole body is decoded in one go instead; such requests are rare.
 */
export async function decodeProtobufInSlices(body: Buffer, decoding = FULL_DECODING, sliceBytes = DEFAULT_SLICE_BYTES): Promise<DecodedTraceRequest> {
  const slices = sliceTraceRequest(body, sliceBytes);
  if (slices === undefined) return decodeTraceRequestProtobuf(body, decoding);

  const merged: ResourceSpans[] = [];
  /** Per original resource: the original index of the scope merged last. */
  const lastScopeIndex: number[] = [];
  for (let i = 0; i < slices.length; i++) {
    if (i > 0) await nextTurn();
    const slice = slices[i];
    let decoded: DecodedTraceRequest;
    try {
      // Slices keep no bytes, and an outline forwarded stands for its bytes: with keepEncoding, whole spans.
      decoded = decodeTraceRequestProtobuf(slice.body, { outlineNonDecisionSpans: decoding.outlineNonDecisionSpans && !decoding.keepEncoding });
    } catch (error) {
      if (error instanceof OtlpDecodeError) return decodeTraceRequestProtobuf(body, decoding);
      throw error;
    }
    if (decoded.rejectedSpans > 0) return decodeTraceRequestProtobuf(body, decoding);

    slice.resources.forEach(({ resourceIndex, scopes }, k) => {
      const part = decoded.resourceSpans[k];
      let target = merged[resourceIndex];
      if (target === undefined) {
        target = { resource: part.resource, scopeSpans: [], schemaUrl: part.schemaUrl };
        merged[resourceIndex] = target;
        lastScopeIndex[resourceIndex] = -1;
      }
      scopes.forEach(({ scopeIndex }, j) => {
        const scopePart = part.scopeSpans[j];
        if (lastScopeIndex[resourceIndex] === scopeIndex) {
          const spans = target.scopeSpans[target.scopeSpans.length - 1].spans;
          for (const span of scopePart.spans) spans.push(span);
        } else {
          target.scopeSpans.push(scopePart);
          lastScopeIndex[resourceIndex] = scopeIndex;
        }
      });
    });
  }
  return { resourceSpans: merged, rejectedSpans: 0, errorMessage: '' };
}
