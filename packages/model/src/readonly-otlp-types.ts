import type { DeepReadonly } from './deep-readonly.js';
import type { AttributeValue, Attributes, InstrumentationScope, Resource, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, SpanStatus } from './otlp-types.js';

/** Read-only views of the span types (see deep-readonly.ts): what parts that only read spans take. */
export type ReadonlyAttributeValue = DeepReadonly<AttributeValue>;
export type ReadonlyAttributes = DeepReadonly<Attributes>;
export type ReadonlyResource = DeepReadonly<Resource>;
export type ReadonlyInstrumentationScope = DeepReadonly<InstrumentationScope>;
export type ReadonlySpanEvent = DeepReadonly<SpanEvent>;
export type ReadonlySpanLink = DeepReadonly<SpanLink>;
export type ReadonlySpanStatus = DeepReadonly<SpanStatus>;
export type ReadonlySpan = DeepReadonly<Span>;
export type ReadonlyScopeSpans = DeepReadonly<ScopeSpans>;
export type ReadonlyResourceSpans = DeepReadonly<ResourceSpans>;

/** `Array.isArray` for an attribute value: TypeScript does not let `Array.isArray` narrow a read-only array out of a union. */
export function isAttributeList(value: ReadonlyAttributeValue): value is readonly ReadonlyAttributeValue[] {
  return Array.isArray(value);
}
