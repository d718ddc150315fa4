import type { ReadonlyScopeSpans, ReadonlySpan } from '@decision-trace/model';
import { receivedEncodingOf } from './received-encoding.js';

/**
 * A scope holding some of another scope's spans — what a processor builds when it drops spans
 * or a batch is split — remembering which scope they came from. When that scope kept the bytes
 * it was received in (received-encoding.ts), the encoder writes each span the subset still
 * holds unchanged (the same object) as its received bytes, and encodes only the others: the
 * spans of a request that was filtered or split are not encoded again either. Bytes are kept
 * per scope, not per span, so this costs nothing when no scope is filtered; the span
 * boundaries are read from the scope's bytes the first time a subset of it is encoded.
 */
const origins = new WeakMap<ReadonlyScopeSpans, ReadonlyScopeSpans>();

/** `{ ...scopeSpans, spans }`, remembered as a subset of `scopeSpans` (or of the scope it came from). */
export function scopeSpansSubset(scopeSpans: ReadonlyScopeSpans, spans: readonly ReadonlySpan[]): ReadonlyScopeSpans {
  const subset: ReadonlyScopeSpans = { ...scopeSpans, spans };
  const origin = origins.get(scopeSpans) ?? scopeSpans;
  if (receivedEncodingOf(origin) !== undefined) origins.set(subset, origin);
  return subset;
}

/** The received scope `subset` took its spans from, if it is a subset of one with kept bytes. */
export function subsetOrigin(subset: ReadonlyScopeSpans): ReadonlyScopeSpans | undefined {
  return origins.get(subset);
}

/** Where the fields of a received ScopeSpans field lie in its bytes. */
export interface ScopeSpansLayout {
  /** False when the bytes cannot be written piecewise (a `scope` field that came twice, merged by the decoder). */
  usable: boolean;
  /** The `scope` and `schema_url` fields, tag included ([start, end); start -1 when absent). */
  scopeStart: number;
  scopeEnd: number;
  schemaUrlStart: number;
  schemaUrlEnd: number;
  /** Each span field, tag included, in the order of the decoded scope's spans. */
  spanStarts: Int32Array;
  spanEnds: Int32Array;
}

const layouts = new WeakMap<ReadonlyScopeSpans, ScopeSpansLayout>();

/**
 * The layout of a received scope's bytes (`bytes`: the whole field, tag and length included).
 * Kept bytes hold only what the decoder read without loss, so each span field is one decoded
 * span, in order, and every other field is `scope` or `schema_url`.
 */
export function scopeSpansLayout(origin: ReadonlyScopeSpans, bytes: Uint8Array): ScopeSpansLayout {
  let layout = layouts.get(origin);
  if (layout !== undefined) return layout;
  const spanStarts = new Int32Array(origin.spans.length);
  const spanEnds = new Int32Array(origin.spans.length);
  layout = { usable: true, scopeStart: -1, scopeEnd: -1, schemaUrlStart: -1, schemaUrlEnd: -1, spanStarts, spanEnds };
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  varint(); // the ScopeSpans field's own tag
  const fieldLength = varint();
  const end = pos + fieldLength;
  let span = 0;
  while (pos < end) {
    const start = pos;
    const field = Math.floor(varint() / 8);
    // Every field of ScopeSpans is length-delimited, and kept bytes hold no others. (Not
    // `pos += varint()`: that adds to the value `pos` had before the length was read.)
    const length = varint();
    pos += length;
    if (field === 2) {
      spanStarts[span] = start;
      spanEnds[span] = pos;
      span++;
    } else if (field === 1) {
      if (layout.scopeStart !== -1) layout.usable = false;
      layout.scopeStart = start;
      layout.scopeEnd = pos;
    } else {
      layout.schemaUrlStart = start;
      layout.schemaUrlEnd = pos;
    }
  }
  if (span !== origin.spans.length) layout.usable = false;
  layouts.set(origin, layout);
  return layout;
}
