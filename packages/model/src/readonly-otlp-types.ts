import type { DeepReadonly } from './deep-readonly.js';
import type {
  AttributeValue,
  Attributes,
  InstrumentationScope,
  Resource,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  SpanStatus,
} from './otlp-types.js';

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

/**
 * `Array.isArray` itself (the same function: no call added), typed to narrow an attribute value to
 * the read-only list; `Array.isArray`'s own type narrows to `any[]`, which lets a write through and
 * leaves the read-only list in the other branch.
 */
export const isAttributeList = Array.isArray as (value: ReadonlyAttributeValue | undefined) => value is readonly ReadonlyAttributeValue[];
