import type {
  ReadonlyAttributeValue,
  ReadonlyAttributes,
  ReadonlyResourceSpans,
  ReadonlyScopeSpans,
  ReadonlySpan,
  ReadonlySpanEvent,
} from '@decision-trace/model';
import type { KeyExpr, PathExpr, PathSegment } from './ast.js';
import { OttlCompileError, OttlEvaluationError } from './errors.js';
import { fromAttribute, type OttlValue } from './values.js';
import { parseW3cTraceState } from '../tail/w3c-tracestate.js';

/**
 * Paths into the telemetry an OTTL condition sees: the span (or span event) being evaluated, its
 * span, scope and resource. A path names its context (`span.name`, `resource.attributes["k"]`,
 * `spanevent.name`, `scope.version`); without one it means the condition's own context, as the
 * Collector rewrites it (`attributes["k"]` is `span.attributes["k"]` in a span condition).
 */

/** The condition kinds of the `ottl_condition` policy. */
export type OttlConditionContext = 'span' | 'spanevent';

/** One evaluation: a span with its scope and resource, and for span-event conditions one of its events. */
export interface OttlEvalContext {
  resourceSpans: ReadonlyResourceSpans;
  scopeSpans: ReadonlyScopeSpans;
  span: ReadonlySpan;
  event?: ReadonlySpanEvent;
}

export type Getter = (ctx: OttlEvalContext) => OttlValue;

const CONTEXT_NAMES: Record<OttlConditionContext, readonly string[]> = {
  span: ['span', 'resource', 'scope', 'instrumentation_scope'],
  spanevent: ['spanevent', 'span', 'resource', 'scope', 'instrumentation_scope'],
};

const SPAN_KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const SPAN_KIND_DEPRECATED = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];

/** Builds the getter of a path, or refuses it with the column and what would be valid. */
export function resolvePath(path: PathExpr, context: OttlConditionContext): Getter {
  let segments = path.segments;
  let contextName: string = context;
  if (path.contextWritten && CONTEXT_NAMES[context].includes(segments[0].name)) {
    contextName = segments[0].name;
    segments = segments.slice(1);
  } else if (path.contextWritten && ['spanevent', 'otelcol', 'log', 'metric', 'datapoint', 'profile'].includes(segments[0].name)) {
    throw new OttlCompileError(
      path.column,
      `context "${segments[0].name}" is not available in ${context} conditions (valid: ${CONTEXT_NAMES[context].join(', ')})`,
    );
  }
  const [field, ...rest] = segments;
  const text = pathText(path);
  switch (contextName) {
    case 'span':
      return spanPath(field, rest, text);
    case 'spanevent':
      return eventPath(field, rest, text);
    case 'resource':
      return resourcePath(field, rest, text);
    default:
      return scopePath(field, rest, text);
  }
}

export function pathText(path: PathExpr): string {
  return path.segments.map((segment) => segment.name + segment.keys.map(keyText).join('')).join('.');
}

function keyText(key: KeyExpr): string {
  return key.kind === 'string' ? `[${JSON.stringify(key.value)}]` : key.kind === 'int' ? `[${key.value}]` : '[…]';
}

function invalid(field: PathSegment, text: string, context: string): OttlCompileError {
  return new OttlCompileError(field.column, `segment "${field.name}" from path "${text}" is not a valid path for the ${context} context`);
}

/** A path that takes neither keys nor further segments. */
function plain(field: PathSegment, rest: PathSegment[], text: string, context: string, getter: Getter): Getter {
  if (field.keys.length > 0) throw new OttlCompileError(field.keys[0].column, `path "${text}" cannot be indexed`);
  if (rest.length > 0) throw invalid(rest[0], text, context);
  return getter;
}

/** `.string` after an id or kind: the other spellings the Collector offers. */
function withSuffix(field: PathSegment, rest: PathSegment[], text: string, context: string, variants: Record<string, Getter>): Getter {
  if (field.keys.length > 0) throw new OttlCompileError(field.keys[0].column, `path "${text}" cannot be indexed`);
  if (rest.length > 1) throw invalid(rest[1], text, context);
  const variant = variants[rest.length === 0 ? '' : rest[0].name];
  if (variant === undefined || (rest.length > 0 && rest[0].keys.length > 0)) throw invalid(rest[0], text, context);
  return variant;
}

function attributesPath(
  field: PathSegment,
  rest: PathSegment[],
  text: string,
  context: string,
  attributes: (ctx: OttlEvalContext) => ReadonlyAttributes,
): Getter {
  if (rest.length > 0) throw invalid(rest[0], text, context);
  if (field.keys.length === 0) return (ctx) => ({ kind: 'map', entries: attributes(ctx) });
  for (const key of field.keys) {
    if (key.kind === 'expression') throw new OttlCompileError(key.column, 'keys computed by an expression are not supported; write a string or integer key');
  }
  const keys = field.keys as Array<Exclude<KeyExpr, { kind: 'expression' }>>;
  return (ctx) => mapValue(attributes(ctx), keys);
}

/**
 * `attributes["a"]["b"][0]`: a missing key is nil; indexing a map with an int, a slice with a
 * string, a slice out of range, or a value that is neither, is an evaluation error.
 */
function mapValue(attributes: ReadonlyAttributes, keys: Array<Exclude<KeyExpr, { kind: 'expression' }>>): OttlValue {
  const [first, ...more] = keys;
  if (first.kind !== 'string') throw new OttlEvaluationError('cannot get map value: unable to resolve a string index in map: invalid key type');
  if (!Object.hasOwn(attributes, first.value)) return null;
  let container: ReadonlyAttributes | readonly ReadonlyAttributeValue[] = attributes;
  let index: string | number = first.value;
  for (const key of more) {
    const value: ReadonlyAttributeValue = (container as Record<string | number, ReadonlyAttributeValue>)[index];
    if (Array.isArray(value)) {
      if (key.kind !== 'int') throw new OttlEvaluationError('unable to resolve an integer index in slice: invalid key type');
      if (key.value >= BigInt(value.length)) throw new OttlEvaluationError(`index ${key.value} out of bounds`);
      container = value;
      index = Number(key.value);
    } else if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
      if (key.kind !== 'string') throw new OttlEvaluationError('unable to resolve a string index in map: invalid key type');
      if (!Object.hasOwn(value, key.value)) return null;
      container = value;
      index = key.value;
    } else {
      throw new OttlEvaluationError(`type ${valueTypeName(value)} does not support string indexing`);
    }
  }
  return fromAttribute(container, index);
}

/** pcommon's names of value types, for messages. */
function valueTypeName(value: ReadonlyAttributeValue): string {
  if (value === null) return 'Empty';
  if (value instanceof Uint8Array) return 'Bytes';
  switch (typeof value) {
    case 'string':
      return 'Str';
    case 'boolean':
      return 'Bool';
    case 'bigint':
      return 'Int';
    case 'number':
      return Number.isInteger(value) ? 'Int' : 'Double';
  }
  return 'Map';
}

function spanPath(field: PathSegment | undefined, rest: PathSegment[], text: string): Getter {
  if (field === undefined) throw new OttlCompileError(1, `path "${text}" names only a context`);
  const context = 'span';
  const span = (ctx: OttlEvalContext) => ctx.span;
  switch (field.name) {
    case 'trace_id':
      return withSuffix(field, rest, text, context, {
        '': (ctx) => ({ kind: 'trace_id', hex: span(ctx).traceId }),
        string: (ctx) => span(ctx).traceId,
      });
    case 'span_id':
      return withSuffix(field, rest, text, context, {
        '': (ctx) => ({ kind: 'span_id', hex: span(ctx).spanId }),
        string: (ctx) => span(ctx).spanId,
      });
    case 'parent_span_id':
      return withSuffix(field, rest, text, context, {
        // An absent parent is the all-zero id, as pcommon holds it.
        '': (ctx) => ({ kind: 'span_id', hex: span(ctx).parentSpanId || '0000000000000000' }),
        string: (ctx) => span(ctx).parentSpanId || '0000000000000000',
      });
    case 'trace_state': {
      if (rest.length > 0) throw invalid(rest[0], text, context);
      if (field.keys.length === 0) return (ctx) => span(ctx).traceState;
      const [key] = field.keys;
      if (field.keys.length !== 1) throw new OttlCompileError(field.keys[1].column, 'must provide exactly 1 key when accessing trace_state');
      // An invalid tracestate reads as nil, a missing key as "". A key that is not a string is
      // an evaluation error, and only when the tracestate is valid, as in the Collector.
      return (ctx) => {
        const members = parseW3cTraceState(span(ctx).traceState);
        if (members === undefined) return null;
        if (key.kind !== 'string') throw new OttlEvaluationError('trace_state indexing type must be a string');
        return members.get(key.value) ?? '';
      };
    }
    case 'name':
      return plain(field, rest, text, context, (ctx) => span(ctx).name);
    case 'kind':
      return withSuffix(field, rest, text, context, {
        '': (ctx) => BigInt(span(ctx).kind),
        string: (ctx) => SPAN_KIND_NAMES[span(ctx).kind] ?? '',
        deprecated_string: (ctx) => SPAN_KIND_DEPRECATED[span(ctx).kind] ?? '',
      });
    case 'start_time_unix_nano':
      return plain(field, rest, text, context, (ctx) => BigInt.asIntN(64, span(ctx).startTimeUnixNano));
    case 'end_time_unix_nano':
      return plain(field, rest, text, context, (ctx) => BigInt.asIntN(64, span(ctx).endTimeUnixNano));
    case 'start_time':
      return plain(field, rest, text, context, (ctx) => ({ kind: 'time', ns: span(ctx).startTimeUnixNano }));
    case 'end_time':
      return plain(field, rest, text, context, (ctx) => ({ kind: 'time', ns: span(ctx).endTimeUnixNano }));
    case 'attributes':
      return attributesPath(field, rest, text, context, (ctx) => span(ctx).attributes);
    case 'dropped_attributes_count':
      return plain(field, rest, text, context, (ctx) => BigInt(span(ctx).droppedAttributesCount));
    case 'events':
      return plain(field, rest, text, context, (ctx) => ({ kind: 'events', ref: span(ctx).events }));
    case 'dropped_events_count':
      return plain(field, rest, text, context, (ctx) => BigInt(span(ctx).droppedEventsCount));
    case 'links':
      return plain(field, rest, text, context, (ctx) => ({ kind: 'links', ref: span(ctx).links }));
    case 'dropped_links_count':
      return plain(field, rest, text, context, (ctx) => BigInt(span(ctx).droppedLinksCount));
    case 'status':
      return withSuffix(field, rest, text, context, {
        '': (ctx) => ({ kind: 'status', ref: span(ctx).status }),
        code: (ctx) => BigInt(span(ctx).status.code),
        message: (ctx) => span(ctx).status.message,
      });
    case 'flags':
      return plain(field, rest, text, context, (ctx) => BigInt(span(ctx).flags));
    case 'cache':
      throw new OttlCompileError(field.column, 'the "cache" path is not supported in conditions of this collector');
    default:
      throw invalid(field, text, context);
  }
}

function eventPath(field: PathSegment | undefined, rest: PathSegment[], text: string): Getter {
  if (field === undefined) throw new OttlCompileError(1, `path "${text}" names only a context`);
  const context = 'spanevent';
  const event = (ctx: OttlEvalContext) => ctx.event!;
  switch (field.name) {
    case 'name':
      return plain(field, rest, text, context, (ctx) => event(ctx).name);
    case 'time_unix_nano':
      return plain(field, rest, text, context, (ctx) => BigInt.asIntN(64, event(ctx).timeUnixNano));
    case 'time':
      return plain(field, rest, text, context, (ctx) => ({ kind: 'time', ns: event(ctx).timeUnixNano }));
    case 'attributes':
      return attributesPath(field, rest, text, context, (ctx) => event(ctx).attributes);
    case 'dropped_attributes_count':
      return plain(field, rest, text, context, (ctx) => BigInt(event(ctx).droppedAttributesCount));
    case 'event_index':
      // The Collector's tail sampler does not give its span-event contexts an index: reading it always fails.
      return plain(field, rest, text, context, () => {
        throw new OttlEvaluationError("no 'event_index' property has been set");
      });
    case 'cache':
      throw new OttlCompileError(field.column, 'the "cache" path is not supported in conditions of this collector');
    default:
      throw invalid(field, text, context);
  }
}

function resourcePath(field: PathSegment | undefined, rest: PathSegment[], text: string): Getter {
  if (field === undefined) throw new OttlCompileError(1, `path "${text}" names only a context`);
  const context = 'resource';
  switch (field.name) {
    case 'attributes':
      return attributesPath(field, rest, text, context, (ctx) => ctx.resourceSpans.resource.attributes);
    case 'dropped_attributes_count':
      return plain(field, rest, text, context, (ctx) => BigInt(ctx.resourceSpans.resource.droppedAttributesCount));
    case 'schema_url':
      return plain(field, rest, text, context, (ctx) => ctx.resourceSpans.schemaUrl);
    default:
      throw invalid(field, text, context);
  }
}

function scopePath(field: PathSegment | undefined, rest: PathSegment[], text: string): Getter {
  if (field === undefined) throw new OttlCompileError(1, `path "${text}" names only a context`);
  const context = 'scope';
  switch (field.name) {
    case 'name':
      return plain(field, rest, text, context, (ctx) => ctx.scopeSpans.scope.name);
    case 'version':
      return plain(field, rest, text, context, (ctx) => ctx.scopeSpans.scope.version);
    case 'attributes':
      return attributesPath(field, rest, text, context, (ctx) => ctx.scopeSpans.scope.attributes);
    case 'dropped_attributes_count':
      return plain(field, rest, text, context, (ctx) => BigInt(ctx.scopeSpans.scope.droppedAttributesCount));
    case 'schema_url':
      return plain(field, rest, text, context, (ctx) => ctx.scopeSpans.schemaUrl);
    default:
      throw invalid(field, text, context);
  }
}
