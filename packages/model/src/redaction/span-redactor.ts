import type {
  ReadonlyAttributeValue,
  ReadonlyAttributes,
  ReadonlyResourceSpans,
  ReadonlyScopeSpans,
  ReadonlySpan,
  ReadonlySpanEvent,
  ReadonlySpanLink,
} from '../readonly-otlp-types.js';
import { carryIntegralDoubleNotes } from '../integral-doubles.js';
import type { RedactionEntry } from '../decision-notes.js';
import { Findings } from './findings.js';
import { decodeRedactions, encodeRedactions, isNoteWrittenHere, markNoteWrittenHere, mergeRedactions } from './redactions-attribute.js';
import { ATTR_DT_REDACTIONS } from '../semconv.js';
import { MASK_TEXT } from './settings.js';
import { redactTraceState } from './trace-state.js';
import type { ValueRedactor } from './value-redactor.js';

/** Reported field prefixes for attributes that are not the span's own. */
const RESOURCE_PREFIX = 'resource.';
const SCOPE_PREFIX = 'scope.';
const LINK_PREFIX = 'link.';
const STATUS_MESSAGE_FIELD = 'status.message';

/**
 * Redaction of OTLP trace data: resource, scope, span, span-event and span-link attributes, the
 * span's and its links' `trace_state`, and the span status message (it becomes a record's error
 * message). Copy on write: what changes is new, everything else is shared with the input, which
 * is never modified (another pipeline may be reading the same spans).
 *
 * Each resource, scope, span and span event that changed gets a `dt.redactions` attribute
 * listing its changed fields; the span's list includes its links (`link.<key>`,
 * `link.trace_state.<key>`), its trace state (`trace_state.<key>`) and its status message; the
 * resource's are reported as `resource.<key>`, the scope's as `scope.<key>`. A `dt.redactions`
 * that did not come from a redaction pass in this process is never trusted: it is dropped and
 * the drop noted.
 */
export class SpanRedactor {
  private readonly findings = new Findings();

  constructor(private readonly values: ValueRedactor) {}

  redactResourceSpans(resourceSpans: readonly ReadonlyResourceSpans[]): readonly ReadonlyResourceSpans[] {
    let out: ReadonlyResourceSpans[] | null = null;
    for (let i = 0; i < resourceSpans.length; i++) {
      const current = resourceSpans[i]!;
      const redacted = this.redactResource(current);
      if (redacted === current && out === null) continue;
      out ??= resourceSpans.slice(0, i);
      out.push(redacted);
    }
    return out ?? resourceSpans;
  }

  private redactResource(resourceSpans: ReadonlyResourceSpans): ReadonlyResourceSpans {
    const resource = resourceSpans.resource;
    const attributes = this.redactAttributeSet(resource.attributes, RESOURCE_PREFIX);
    let scopes: ReadonlyScopeSpans[] | null = null;
    for (let i = 0; i < resourceSpans.scopeSpans.length; i++) {
      const scopeSpans = resourceSpans.scopeSpans[i]!;
      const scopeAttributes = this.redactAttributeSet(scopeSpans.scope.attributes, SCOPE_PREFIX);
      const spans = this.redactSpans(scopeSpans.spans);
      if (spans === scopeSpans.spans && scopeAttributes === scopeSpans.scope.attributes && scopes === null) continue;
      scopes ??= resourceSpans.scopeSpans.slice(0, i);
      scopes.push(
        spans === scopeSpans.spans && scopeAttributes === scopeSpans.scope.attributes
          ? scopeSpans
          : {
              ...scopeSpans,
              scope: scopeAttributes === scopeSpans.scope.attributes ? scopeSpans.scope : { ...scopeSpans.scope, attributes: scopeAttributes },
              spans,
            },
      );
    }
    if (attributes === resource.attributes && scopes === null) return resourceSpans;
    return {
      ...resourceSpans,
      resource: attributes === resource.attributes ? resource : { ...resource, attributes },
      scopeSpans: scopes ?? resourceSpans.scopeSpans,
    };
  }

  private redactSpans(spans: readonly ReadonlySpan[]): readonly ReadonlySpan[] {
    let out: ReadonlySpan[] | null = null;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i]!;
      const redacted = this.redactSpan(span);
      if (redacted === span && out === null) continue;
      out ??= spans.slice(0, i);
      out.push(redacted);
    }
    return out ?? spans;
  }

  private redactSpan(span: ReadonlySpan): ReadonlySpan {
    const events = this.redactEvents(span.events);
    const findings = this.findings;
    findings.reset();
    const untrustedNote = hasUntrustedNote(span.attributes);
    let attributes = this.values.redactEntries(span.attributes, null, findings, this.values.allowListOn, ATTR_DT_REDACTIONS) as ReadonlyAttributes;
    if (untrustedNote) findings.add(ATTR_DT_REDACTIONS, 'drop');
    const traceState = redactTraceState(this.values, span.traceState, findings);
    const links = this.redactLinks(span.links, findings);
    const message = span.status.message === '' ? '' : this.redactStatusMessage(span.status.message, findings);
    if (!findings.isEmpty) attributes = withRedactions(attributes, span.attributes, findings.entries, !untrustedNote);
    if (attributes === span.attributes && events === span.events && links === span.links && message === span.status.message && traceState === span.traceState) {
      return span;
    }
    return {
      ...span,
      traceState,
      attributes,
      events,
      links,
      status: message === span.status.message ? span.status : { ...span.status, message },
    };
  }

  private redactEvents(events: readonly ReadonlySpanEvent[]): readonly ReadonlySpanEvent[] {
    let out: ReadonlySpanEvent[] | null = null;
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const attributes = this.redactAttributeSet(event.attributes, '');
      if (attributes === event.attributes && out === null) continue;
      out ??= events.slice(0, i);
      out.push(attributes === event.attributes ? event : { ...event, attributes });
    }
    return out ?? events;
  }

  /** Link attributes are reported on the span (`link.<key>`): a link is not a place records read. */
  private redactLinks(links: readonly ReadonlySpanLink[], findings: Findings): readonly ReadonlySpanLink[] {
    let out: ReadonlySpanLink[] | null = null;
    findings.setPrefix(LINK_PREFIX);
    for (let i = 0; i < links.length; i++) {
      const link = links[i]!;
      const attributes = this.values.redactEntries(link.attributes, null, findings, this.values.allowListOn) as ReadonlyAttributes;
      const traceState = redactTraceState(this.values, link.traceState, findings);
      if (attributes === link.attributes && traceState === link.traceState && out === null) continue;
      out ??= links.slice(0, i);
      out.push(attributes === link.attributes && traceState === link.traceState ? link : { ...link, attributes, traceState });
    }
    findings.setPrefix('');
    return out ?? links;
  }

  /** No key names a status message, so only value rules and truncation apply to it. */
  private redactStatusMessage(message: string, findings: Findings): string {
    const redacted = this.values.redactValue(STATUS_MESSAGE_FIELD, message, findings);
    if (typeof redacted === 'string') return redacted;
    // A value rule that drops: an error message has to say something.
    return MASK_TEXT;
  }

  /** A resource's, scope's or span event's attributes, with their own `dt.redactions` when changed. */
  private redactAttributeSet(attributes: ReadonlyAttributes, prefix: string): ReadonlyAttributes {
    const findings = this.findings;
    findings.reset(prefix);
    const untrustedNote = hasUntrustedNote(attributes);
    const redacted = this.values.redactEntries(attributes, null, findings, this.values.allowListOn, ATTR_DT_REDACTIONS);
    if (untrustedNote) findings.add(ATTR_DT_REDACTIONS, 'drop');
    if (findings.isEmpty) return redacted as ReadonlyAttributes;
    return withRedactions(redacted, attributes, findings.entries, !untrustedNote);
  }
}

/** A `dt.redactions` this process did not write (see isNoteWrittenHere). */
function hasUntrustedNote(attributes: ReadonlyAttributes): boolean {
  return ATTR_DT_REDACTIONS in attributes && !isNoteWrittenHere(attributes);
}

/** The redacted attributes with the note: this pass's entries, after a trusted earlier note's. */
function withRedactions(
  redacted: Record<string, unknown>,
  original: ReadonlyAttributes,
  entries: readonly RedactionEntry[],
  keepPrevious: boolean,
): ReadonlyAttributes {
  const previous = keepPrevious ? decodeRedactions(original[ATTR_DT_REDACTIONS]) : [];
  const all = previous.length === 0 ? entries : mergeRedactions(previous, entries);
  const out = (redacted === original ? { ...original } : redacted) as { [key: string]: ReadonlyAttributeValue };
  carryIntegralDoubleNotes(original, out);
  out[ATTR_DT_REDACTIONS] = encodeRedactions(all);
  markNoteWrittenHere(out);
  return out;
}
