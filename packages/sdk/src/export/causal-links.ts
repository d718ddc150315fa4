import { CAUSAL_LINK_TYPES, type CausalLink, type DecisionEvent, type ResourceSpans } from '@decision-trace/model';
import { DT_CAUSAL_LINKS } from '../decision/decision-attributes.js';

const causalLinkTypes: ReadonlySet<string> = new Set(CAUSAL_LINK_TYPES);

/**
 * Stopgap until the model's span conversion reads `dt.causal_links` itself (then this file goes):
 * copies the links a decision span carries onto the events converted from that span.
 */
export function attachCausalLinks(events: DecisionEvent[], resourceSpans: ResourceSpans[]): void {
  let linksBySpan: Map<string, CausalLink[]> | undefined;
  for (const resource of resourceSpans) {
    for (const scope of resource.scopeSpans) {
      for (const span of scope.spans) {
        const raw = span.attributes[DT_CAUSAL_LINKS];
        if (typeof raw !== 'string') continue;
        const links = parseCausalLinks(raw);
        if (links.length > 0) (linksBySpan ??= new Map()).set(`${span.traceId}/${span.spanId}`, links);
      }
    }
  }
  if (linksBySpan === undefined) return;
  for (const event of events) {
    if (event.source !== 'otlp.dt_span' || event.causal_links.length > 0) continue;
    const links = linksBySpan.get(`${event.trace_id}/${event.span_id}`);
    if (links !== undefined) event.causal_links = links;
  }
}

function parseCausalLinks(text: string): CausalLink[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const links: CausalLink[] = [];
  for (const item of parsed) {
    if (typeof item !== 'object' || item === null) continue;
    const { type, target_decision_id: target } = item as Record<string, unknown>;
    if (typeof type === 'string' && causalLinkTypes.has(type) && typeof target === 'string' && target !== '') {
      links.push({ type: type as CausalLink['type'], target_decision_id: target });
    }
  }
  return links;
}
