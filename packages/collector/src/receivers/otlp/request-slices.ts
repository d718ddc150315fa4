/**
 * Cuts a binary ExportTraceServiceRequest into smaller, valid requests at span boundaries,
 * reading only the framing (a tag and a length per span, no decoding), so a large request can
 * be decoded piece by piece with the event loop free in between.
 *
 * Pure: no I/O. Everything that is not a resource, scope, schema URL or span is left out,
 * exactly as the decoder ignores unknown fields.
 */

/** One piece: the request to decode, and where its resources and scopes sit in the original. */
export interface RequestSlice {
  readonly body: Buffer;
  readonly resources: Array<{ resourceIndex: number; scopes: Array<{ scopeIndex: number; firstSpanIndex: number }> }>;
}

interface Range {
  start: number;
  end: number;
}

interface ScopeFrame {
  scope?: Range;
  schemaUrl?: Range;
  /** Each span field (tag included) as two numbers, start and end: a request can hold 100,000 spans. */
  spanBounds: number[];
}

interface ResourceFrame {
  resource?: Range;
  schemaUrl?: Range;
  scopes: ScopeFrame[];
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

/** Thrown inside this module only: the framing is broken, so the caller decodes the whole body instead. */
class FramingError extends Error {}

class FrameReader {
  pos: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) break;
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
    throw new FramingError();
  }

  /** Reads one field: its number, and the range of the whole field (tag included) and of its payload. */
  field(): { number: number; whole: Range; payload: Range; wireType: number } {
    const start = this.pos;
    const tag = this.varint();
    const wireType = tag % 8;
    const number = Math.floor(tag / 8);
    let payloadStart = this.pos;
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        break;
      case WIRE_FIXED64:
        this.pos += 8;
        break;
      case WIRE_FIXED32:
        this.pos += 4;
        break;
      case WIRE_LEN: {
        const length = this.varint();
        payloadStart = this.pos;
        this.pos += length;
        break;
      }
      default:
        throw new FramingError();
    }
    if (number === 0 || this.pos > this.end) throw new FramingError();
    return { number, wireType, whole: { start, end: this.pos }, payload: { start: payloadStart, end: this.pos } };
  }
}

/**
 * The fields this module copies must be length-delimited; with another wire type the decoder's
 * answer (an error, in practice) must come from the decoder itself.
 */
function known(f: { number: number; wireType: number }, numbers: number): boolean {
  if (f.number > numbers) return false;
  if (f.wireType !== WIRE_LEN) throw new FramingError();
  return true;
}

/** The tag of a span field (ScopeSpans field 2, length-delimited), the one-byte tag nearly every span has. */
const SPAN_TAG = 0x12;

function readScope(buf: Buffer, range: Range): ScopeFrame {
  const frame: ScopeFrame = { spanBounds: [] };
  const bounds = frame.spanBounds;
  const end = range.end;
  let pos = range.start;
  while (pos < end) {
    // Spans are read with locals only and without allocating: this loop runs once per span of
    // a request that can hold 100,000 of them, and it runs before any slice is decoded.
    if (buf[pos] === SPAN_TAG) {
      const start = pos;
      let length = 0;
      let scale = 1;
      let byte = 0x80;
      for (pos++; byte >= 0x80; scale *= 128) {
        if (pos >= end || scale > 2 ** 49) throw new FramingError();
        byte = buf[pos++];
        length += (byte & 0x7f) * scale;
      }
      pos += length;
      if (pos > end) throw new FramingError();
      bounds.push(start, pos);
      continue;
    }
    const reader = new FrameReader(buf, pos, end);
    const f = reader.field();
    pos = reader.pos;
    if (!known(f, 3)) continue;
    if (f.number === 1) frame.scope = f.whole;
    else if (f.number === 2) bounds.push(f.whole.start, f.whole.end);
    else if (f.number === 3) frame.schemaUrl = f.whole;
  }
  return frame;
}

function readResource(buf: Buffer, range: Range): ResourceFrame {
  const frame: ResourceFrame = { scopes: [] };
  const reader = new FrameReader(buf, range.start, range.end);
  while (reader.pos < reader.end) {
    const f = reader.field();
    if (!known(f, 3)) continue;
    if (f.number === 1) frame.resource = f.whole;
    else if (f.number === 2) frame.scopes.push(readScope(buf, f.payload));
    else if (f.number === 3) frame.schemaUrl = f.whole;
  }
  return frame;
}

const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
const rangeSize = (r: Range | undefined) => (r === undefined ? 0 : r.end - r.start);
const lenFieldSize = (payload: number) => 1 + varintSize(payload) + payload;

/** A run of one scope's spans that goes into one slice. */
interface Segment {
  resourceIndex: number;
  scopeIndex: number;
  firstSpan: number;
  endSpan: number;
}

/**
 * Slices of at most about `targetBytes` each, or undefined when the body is not worth slicing
 * or its framing is broken (then the decoder must see the whole body to give its exact error).
 */
export function sliceTraceRequest(body: Buffer, targetBytes: number): RequestSlice[] | undefined {
  if (body.length <= targetBytes) return undefined;
  let resources: ResourceFrame[];
  try {
    resources = [];
    const reader = new FrameReader(body, 0, body.length);
    while (reader.pos < reader.end) {
      const f = reader.field();
      if (known(f, 1)) resources.push(readResource(body, f.payload));
    }
  } catch (error) {
    if (error instanceof FramingError) return undefined;
    throw error;
  }

  if (resources.length === 0) return undefined;
  const slices: RequestSlice[] = [];
  let pending: Segment[] = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pending.length > 0) slices.push(lazySlice(body, resources, pending));
    pending = [];
    pendingBytes = 0;
  };
  resources.forEach((resource, resourceIndex) => {
    // A resource without scopes, or a scope without spans, still travels (as the decoder keeps it).
    if (resource.scopes.length === 0) {
      pending.push({ resourceIndex, scopeIndex: -1, firstSpan: 0, endSpan: 0 });
      return;
    }
    resource.scopes.forEach((scope, scopeIndex) => {
      const bounds = scope.spanBounds;
      const spanCount = bounds.length / 2;
      let first = 0;
      for (let i = 0; i < spanCount; i++) {
        pendingBytes += bounds[2 * i + 1] - bounds[2 * i];
        if (pendingBytes >= targetBytes) {
          pending.push({ resourceIndex, scopeIndex, firstSpan: first, endSpan: i + 1 });
          first = i + 1;
          flush();
        }
      }
      if (first < spanCount || spanCount === 0) {
        pending.push({ resourceIndex, scopeIndex, firstSpan: first, endSpan: spanCount });
      }
    });
  });
  flush();
  return slices;
}

/**
 * A slice encoded when it is first read: copying a large request's bytes into slices costs as
 * much as framing it, and this way that cost falls in the turns in which each slice is decoded.
 */
function lazySlice(body: Buffer, resources: ResourceFrame[], segments: Segment[]): RequestSlice {
  let encoded: RequestSlice | undefined;
  const encode = () => (encoded ??= encodeSlice(body, resources, segments));
  return {
    get body() {
      return encode().body;
    },
    get resources() {
      return encode().resources;
    },
  };
}

function encodeSlice(body: Buffer, resources: ResourceFrame[], segments: Segment[]): RequestSlice {
  // Group the segments by resource, keeping their order.
  const groups: Array<{ resourceIndex: number; segments: Segment[] }> = [];
  for (const segment of segments) {
    const last = groups[groups.length - 1];
    if (last?.resourceIndex === segment.resourceIndex) last.segments.push(segment);
    else groups.push({ resourceIndex: segment.resourceIndex, segments: [segment] });
  }

  const scopePayload = (s: Segment) => {
    const scope = resources[s.resourceIndex].scopes[s.scopeIndex];
    let size = rangeSize(scope.scope) + rangeSize(scope.schemaUrl);
    for (let i = s.firstSpan; i < s.endSpan; i++) size += scope.spanBounds[2 * i + 1] - scope.spanBounds[2 * i];
    return size;
  };
  const resourcePayload = (g: (typeof groups)[number]) => {
    const resource = resources[g.resourceIndex];
    let size = rangeSize(resource.resource) + rangeSize(resource.schemaUrl);
    for (const s of g.segments) if (s.scopeIndex >= 0) size += lenFieldSize(scopePayload(s));
    return size;
  };

  let total = 0;
  for (const g of groups) total += lenFieldSize(resourcePayload(g));
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  const writeVarint = (n: number) => {
    while (n >= 0x80) {
      out[pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[pos++] = n;
  };
  const copy = (r: Range | undefined) => {
    if (r !== undefined) pos += body.copy(out, pos, r.start, r.end);
  };

  const sliceResources: RequestSlice['resources'] = [];
  for (const g of groups) {
    const resource = resources[g.resourceIndex];
    out[pos++] = 0x0a; // field 1, LEN: resource_spans
    writeVarint(resourcePayload(g));
    copy(resource.resource);
    const scopes: RequestSlice['resources'][number]['scopes'] = [];
    for (const s of g.segments) {
      if (s.scopeIndex < 0) continue;
      const scope = resource.scopes[s.scopeIndex];
      out[pos++] = 0x12; // field 2, LEN: scope_spans
      writeVarint(scopePayload(s));
      copy(scope.scope);
      // Spans that follow each other in the body are copied as one run.
      const bounds = scope.spanBounds;
      for (let i = s.firstSpan; i < s.endSpan;) {
        const runStart = bounds[2 * i];
        let runEnd = bounds[2 * i + 1];
        for (i++; i < s.endSpan && bounds[2 * i] === runEnd; i++) runEnd = bounds[2 * i + 1];
        pos += body.copy(out, pos, runStart, runEnd);
      }
      copy(scope.schemaUrl);
      scopes.push({ scopeIndex: s.scopeIndex, firstSpanIndex: s.firstSpan });
    }
    copy(resource.schemaUrl);
    sliceResources.push({ resourceIndex: g.resourceIndex, scopes });
  }
  return { body: out, resources: sliceResources };
}
