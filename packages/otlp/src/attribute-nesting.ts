import { exceedsJsonNesting, exceedsValueNesting, MAX_NESTING_DEPTH, type Attributes, type ResourceSpans } from '@decision-trace/model';
import { OtlpDecodeError } from './errors.js';

/**
 * The nesting limit (MAX_NESTING_DEPTH, model's json-nesting.ts) applied to a decoded request,
 * the same for both encodings: every attribute value, and JSON text inside a string value (the
 * collector parses e.g. `decision.factors` and redacts inside such text), may nest at most
 * MAX_NESTING_DEPTH levels. Deeper values fail the request as a client error, as binary
 * protobuf's own recursion limit always has; accepted, they would overflow the stack wherever
 * they were next copied, serialized or walked (the store worker's replies among them).
 */
export function assertAttributeNesting(resourceSpans: readonly ResourceSpans[]): void {
  resourceSpans.forEach((rs, r) => {
    check(rs.resource?.attributes, () => `resourceSpans[${r}].resource`);
    rs.scopeSpans.forEach((ss, s) => {
      check(ss.scope?.attributes, () => `resourceSpans[${r}].scopeSpans[${s}].scope`);
      ss.spans.forEach((span, i) => {
        const path = () => `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;
        check(span.attributes, path);
        span.events.forEach((event, e) => check(event.attributes, () => `${path()}.events[${e}]`));
        span.links.forEach((link, l) => check(link.attributes, () => `${path()}.links[${l}]`));
      });
    });
  });
}

/**
 * The text an OTLP/JSON body may nest, at most, before it is parsed: the envelope around an
 * attribute value (request, resourceSpans, scopeSpans, spans, events, attributes and their
 * objects), then four JSON levels per kvlist level (`kvlistValue`, `values`, the key-value,
 * `value`). Bodies past it are refused unparsed; the exact limit is checked once decoded.
 */
export const OTLP_JSON_BODY_NESTING = 16 + 4 * MAX_NESTING_DEPTH;

/** Refuses an OTLP/JSON body that nests deeper than any valid request can, before parsing it. */
export function assertJsonBodyNesting(body: string | Uint8Array): void {
  if (exceedsJsonNesting(body, OTLP_JSON_BODY_NESTING)) {
    throw new OtlpDecodeError(`the body nests deeper than any request whose attribute values nest at most ${MAX_NESTING_DEPTH} levels`);
  }
}

function check(attributes: Attributes | undefined, path: () => string): void {
  if (attributes === undefined) return;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string') {
      if (holdsDeepJson(value)) throw tooDeep(path, key, 'holds JSON nesting');
    } else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
      if (exceedsValueNesting(value)) throw tooDeep(path, key, 'nests');
      // Strings inside the value may hold JSON text too; the value is shallow, so this ends.
      const pending: unknown[] = [value];
      for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        if (typeof next === 'string') {
          if (holdsDeepJson(next)) throw tooDeep(path, key, 'holds JSON nesting');
        } else if (typeof next === 'object' && next !== null && !ArrayBuffer.isView(next)) {
          for (const child of Array.isArray(next) ? next : Object.values(next)) pending.push(child);
        }
      }
    }
  }
}

/** Only text that may be a JSON object or array (after white space) can nest. */
function holdsDeepJson(text: string): boolean {
  const first = text.charCodeAt(0);
  return (first === 0x7b || first === 0x5b || first <= 0x20) && exceedsJsonNesting(text);
}

function tooDeep(path: () => string, key: string, what: string): OtlpDecodeError {
  return new OtlpDecodeError(`${path()}: attribute "${key}" ${what} deeper than ${MAX_NESTING_DEPTH} levels`);
}
