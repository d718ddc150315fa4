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
  // Plain loops, and the path built only for a refusal: this runs over every span of every request.
  for (let r = 0; r < resourceSpans.length; r++) {
    const rs = resourceSpans[r];
    let problem = problemOf(rs.resource?.attributes);
    if (problem !== undefined) throw tooDeep(`resourceSpans[${r}].resource`, problem);
    for (let s = 0; s < rs.scopeSpans.length; s++) {
      const ss = rs.scopeSpans[s];
      problem = problemOf(ss.scope?.attributes);
      if (problem !== undefined) throw tooDeep(`resourceSpans[${r}].scopeSpans[${s}].scope`, problem);
      const spans = ss.spans;
      for (let i = 0; i < spans.length; i++) {
        const span = spans[i];
        problem = problemOf(span.attributes);
        if (problem !== undefined) throw tooDeep(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, problem);
        for (let e = 0; e < span.events.length; e++) {
          problem = problemOf(span.events[e].attributes);
          if (problem !== undefined) throw tooDeep(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}].events[${e}]`, problem);
        }
        for (let l = 0; l < span.links.length; l++) {
          problem = problemOf(span.links[l].attributes);
          if (problem !== undefined) throw tooDeep(`resourceSpans[${r}].scopeSpans[${s}].spans[${i}].links[${l}]`, problem);
        }
      }
    }
  }
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

/** What is too deep in `attributes` (`attribute "key" nests`), or undefined. */
function problemOf(attributes: Attributes | undefined): string | undefined {
  if (attributes === undefined) return undefined;
  for (const key in attributes) {
    const value = attributes[key];
    if (typeof value === 'string') {
      if (holdsDeepJson(value)) return `attribute "${key}" holds JSON nesting`;
    } else if (typeof value === 'object' && value !== null && !ArrayBuffer.isView(value)) {
      if (exceedsValueNesting(value)) return `attribute "${key}" nests`;
      // Strings inside the value may hold JSON text too; the value is shallow, so this ends.
      const pending: unknown[] = [value];
      for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
        if (typeof next === 'string') {
          if (holdsDeepJson(next)) return `attribute "${key}" holds JSON nesting`;
        } else if (typeof next === 'object' && next !== null && !ArrayBuffer.isView(next)) {
          for (const child of Array.isArray(next) ? next : Object.values(next)) pending.push(child);
        }
      }
    }
  }
  return undefined;
}

/** Only text that may be a JSON object or array (after white space) can nest. */
function holdsDeepJson(text: string): boolean {
  const first = text.charCodeAt(0);
  return (first === 0x7b || first === 0x5b || first <= 0x20) && exceedsJsonNesting(text);
}

function tooDeep(path: string, problem: string): OtlpDecodeError {
  return new OtlpDecodeError(`${path}: ${problem} deeper than ${MAX_NESTING_DEPTH} levels`);
}
