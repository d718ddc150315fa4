import type { ReadonlyResourceSpans, ReadonlyScopeSpans, ReadonlySpan } from '@decision-trace/model';

/**
 * Collects spans under their original resource and scope and rebuilds OTLP structure from
 * them. The originals are never modified: the pipeline may hand the same objects to several
 * pipelines.
 */
export class SpanGroups {
  private readonly byResource = new Map<ReadonlyResourceSpans, Map<ReadonlyScopeSpans, ReadonlySpan[]>>();
  count = 0;

  add(resourceSpans: ReadonlyResourceSpans, scopeSpans: ReadonlyScopeSpans, span: ReadonlySpan): void {
    let scopes = this.byResource.get(resourceSpans);
    if (scopes === undefined) {
      scopes = new Map();
      this.byResource.set(resourceSpans, scopes);
    }
    let spans = scopes.get(scopeSpans);
    if (spans === undefined) {
      spans = [];
      scopes.set(scopeSpans, spans);
    }
    spans.push(span);
    this.count++;
  }

  addAll(resourceSpans: ReadonlyResourceSpans, scopeSpans: ReadonlyScopeSpans, spans: readonly ReadonlySpan[]): void {
    for (const span of spans) this.add(resourceSpans, scopeSpans, span);
  }

  toResourceSpans(): ReadonlyResourceSpans[] {
    const out: ReadonlyResourceSpans[] = [];
    for (const [resourceSpans, scopes] of this.byResource) {
      const scopeSpans: ReadonlyScopeSpans[] = [];
      for (const [scope, spans] of scopes) scopeSpans.push({ scope: scope.scope, spans, schemaUrl: scope.schemaUrl });
      out.push({ resource: resourceSpans.resource, scopeSpans, schemaUrl: resourceSpans.schemaUrl });
    }
    return out;
  }
}

/**
 * Keeps the spans `keep` returns (possibly a changed copy) and rebuilds only what changed:
 * the input itself when every span was kept unchanged.
 */
export function filterSpans(
  resourceSpans: readonly ReadonlyResourceSpans[],
  keep: (span: ReadonlySpan, resource: ReadonlyResourceSpans, scope: ReadonlyScopeSpans) => ReadonlySpan | null,
): { resourceSpans: readonly ReadonlyResourceSpans[]; spanCount: number } {
  let changed = false;
  let spanCount = 0;
  const out: ReadonlyResourceSpans[] = [];
  for (const resource of resourceSpans) {
    const scopes: ReadonlyScopeSpans[] = [];
    let resourceChanged = false;
    for (const scope of resource.scopeSpans) {
      let kept: ReadonlySpan[] | undefined;
      const spans = scope.spans;
      for (let i = 0; i < spans.length; i++) {
        const result = keep(spans[i], resource, scope);
        if (result === spans[i] && kept === undefined) continue;
        kept ??= spans.slice(0, i);
        if (result !== null) kept.push(result);
      }
      if (kept === undefined) {
        scopes.push(scope);
        spanCount += spans.length;
      } else {
        resourceChanged = true;
        spanCount += kept.length;
        if (kept.length > 0) scopes.push({ scope: scope.scope, spans: kept, schemaUrl: scope.schemaUrl });
      }
    }
    if (!resourceChanged) out.push(resource);
    else {
      changed = true;
      if (scopes.length > 0) out.push({ resource: resource.resource, scopeSpans: scopes, schemaUrl: resource.schemaUrl });
    }
  }
  return { resourceSpans: changed ? out : resourceSpans, spanCount };
}
