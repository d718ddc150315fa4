import { ATTR_DECISION_LINKS, ATTR_DECISION_LINK_TARGET_ID, ATTR_DECISION_LINK_TYPE, ATTR_DT_CAUSAL_LINKS } from './semconv.js';
import { CAUSAL_LINK_TYPES, type CausalLink, type CausalLinkType } from './event.js';
import type { ReadonlyAttributes, ReadonlySpan } from './readonly-otlp-types.js';
import type { RecordFlag } from './decision-notes.js';
import { toText } from './attribute-values.js';
import { exceedsJsonNesting } from './json-nesting.js';

const linkTypes: ReadonlySet<string> = new Set(CAUSAL_LINK_TYPES);
const NONE: CausalLink[] = [];

/**
 * Causal links of a decision read from its attributes: `decision.links` (inputs A and B) or
 * `dt.causal_links` (the SDK projection), each a JSON array (or a JSON string of one) of
 * `{type, target_decision_id}`; and, for a decision span, its OTel span links that carry
 * `decision.link.type` and `decision.link.target_id`. Malformed entries are flagged, not fatal.
 */
export function readCausalLinks(attributes: ReadonlyAttributes, span: ReadonlySpan | null, flags: RecordFlag[]): CausalLink[] {
  const key = ATTR_DECISION_LINKS in attributes ? ATTR_DECISION_LINKS : ATTR_DT_CAUSAL_LINKS in attributes ? ATTR_DT_CAUSAL_LINKS : null;
  let links = NONE;
  if (key !== null) links = parseLinkList(attributes[key], key, flags);
  if (span !== null && span.links.length > 0) {
    for (const link of span.links) {
      const type = toText(link.attributes[ATTR_DECISION_LINK_TYPE]);
      const target = toText(link.attributes[ATTR_DECISION_LINK_TARGET_ID]);
      if (type === null && target === null) continue;
      if (type === null || !linkTypes.has(type) || target === null) {
        flags.push({
          code: 'invalid_value',
          field: 'links',
          detail: 'a span link needs decision.link.type (one of the causal link types) and decision.link.target_id',
        });
        continue;
      }
      links = links === NONE ? [] : links;
      links.push({ type: type as CausalLinkType, target_decision_id: target });
    }
  }
  return dedupe(links);
}

function parseLinkList(value: unknown, field: string, flags: RecordFlag[]): CausalLink[] {
  let list: unknown = value;
  if (typeof value === 'string') {
    try {
      if (exceedsJsonNesting(value)) throw new RangeError('too deep');
      list = JSON.parse(value);
    } catch {
      flags.push({ code: 'invalid_json', field, detail: 'not a JSON array of causal links' });
      return NONE;
    }
  }
  if (!Array.isArray(list)) {
    flags.push({ code: 'invalid_value', field, detail: 'expected an array of {type, target_decision_id}' });
    return NONE;
  }
  const out: CausalLink[] = [];
  for (const entry of list) {
    const item = typeof entry === 'string' ? safeParse(entry) : entry;
    const type = item && typeof item === 'object' ? (item as Record<string, unknown>).type : undefined;
    const target = item && typeof item === 'object' ? (item as Record<string, unknown>).target_decision_id : undefined;
    if (typeof type === 'string' && linkTypes.has(type) && typeof target === 'string' && target !== '') {
      out.push({ type: type as CausalLinkType, target_decision_id: target });
    } else {
      flags.push({ code: 'invalid_value', field, detail: 'a causal link needs a known type and a target_decision_id' });
    }
  }
  return out;
}

function safeParse(text: string): unknown {
  if (exceedsJsonNesting(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function dedupe(links: CausalLink[]): CausalLink[] {
  if (links.length < 2) return links;
  const seen = new Set<string>();
  return links.filter((l) => {
    const key = `${l.type}\u0000${l.target_decision_id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
