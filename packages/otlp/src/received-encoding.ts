import type { ReadonlyResourceSpans, ReadonlyScopeSpans } from '@decision-trace/model';

/**
 * The bytes a ResourceSpans or ScopeSpans arrived in (the whole field), kept beside the decoded
 * object so that an exporter forwarding it unchanged writes those bytes instead of encoding it
 * again:
 * a binary ExportTraceServiceRequest is `repeated ResourceSpans resource_spans = 1`, so putting
 * received fields one after another is a valid request, and batching them is concatenation.
 *
 * The association is by object identity, in a WeakMap, never on the object itself: a copy of
 * the object (spread, structuredClone) does not carry it, so a component that produces new or
 * changed spans — it must build new objects, the pipeline's spans being read-only views
 * (model/src/readonly-otlp-types.ts) — leaves them without kept bytes, and they are encoded from
 * the decoded data. What changes objects in place (a processor declaring `mutatesData: true`)
 * must call `forgetReceivedEncoding` first.
 *
 * Not per span: a WeakMap entry per span costs about as much as a third of decoding the span
 * (measured on the benchmark's requests), while a request holds one or a few resources and
 * scopes. So a scope of which a sampler dropped some spans, or that a batch split cut, is
 * encoded again whole.
 *
 * The decoder keeps bytes only for what it decoded without loss: nothing skipped (unknown
 * fields, a field of an unexpected wire type), no duplicate attribute key, no AnyValue with two
 * different members, no rejected span inside. So the kept bytes always say what encoding the
 * decoded object says: forwarding them sends what a decode and encode would, in the sender's
 * byte layout. The value is the whole field, tag and length included.
 */
const receivedBytes = new WeakMap<object, Uint8Array>();

export function keepReceivedEncoding(value: object, bytes: Uint8Array): void {
  receivedBytes.set(value, bytes);
}

/** The bytes `value` arrived in, when it is unchanged since it was decoded (the whole field, tag included). */
export function receivedEncodingOf(value: ReadonlyResourceSpans | ReadonlyScopeSpans): Uint8Array | undefined {
  return receivedBytes.get(value);
}

/** Drops the kept bytes of these resources and everything in them: for code about to change them in place. */
export function forgetReceivedEncoding(resourceSpans: readonly ReadonlyResourceSpans[]): void {
  for (const rs of resourceSpans) {
    receivedBytes.delete(rs);
    for (const ss of rs.scopeSpans) receivedBytes.delete(ss);
  }
}
