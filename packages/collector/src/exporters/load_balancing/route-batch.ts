import type { ReadonlyDecisionEvent, ReadonlyResourceSpans, ReadonlyScopeSpans, ReadonlySpan } from '@decision-trace/model';
import type { TraceBatch } from '../../component/component.js';
import type { RoutingKey } from './config.js';

/** Which backend (an index) a routing key belongs to; -1 when there is none. */
export type OwnerOf = (routingKey: string) => number;

/** A part of a batch and the backend it goes to. */
export interface RoutedBatch {
  owner: number;
  batch: TraceBatch;
}

const SERVICE_NAME = 'service.name';

/**
 * Splits a batch by owner: with `traceID` each span goes where its trace id routes (a resource
 * or scope whose spans go to several backends is repeated in each part); with `service` each
 * resource goes where its `service.name` routes. A decision event goes with its trace (its
 * service), so it lands on the backend that holds its trace's spans; an event without a trace id
 * routes by its decision id. The common case — everything to one backend — returns the batch
 * itself without copying. Pure: the caller's ring decides ownership.
 */
export function routeBatch(batch: TraceBatch, key: RoutingKey, ownerOf: OwnerOf): RoutedBatch[] {
  const spanOwners = key === 'traceID' ? ownersBySpan(batch.resourceSpans, ownerOf) : ownersByResource(batch.resourceSpans, ownerOf);
  const decisionOwners = batch.decisions.map((event) => ownerOf(decisionRoutingKey(event, key)));

  const single = soleOwner(spanOwners.owners, decisionOwners);
  if (single !== undefined) return single === -1 ? [] : [{ owner: single, batch }];

  const parts = new Map<number, { resourceSpans: ReadonlyResourceSpans[]; spanCount: number; decisions: ReadonlyDecisionEvent[] }>();
  const partOf = (owner: number) => {
    let part = parts.get(owner);
    if (!part) parts.set(owner, (part = { resourceSpans: [], spanCount: 0, decisions: [] }));
    return part;
  };
  if (key === 'traceID') splitSpans(batch.resourceSpans, spanOwners.owners, partOf);
  else {
    batch.resourceSpans.forEach((rs, i) => {
      const part = partOf(spanOwners.owners[i]);
      part.resourceSpans.push(rs);
      part.spanCount += spanOwners.counts[i];
    });
  }
  batch.decisions.forEach((event, i) => partOf(decisionOwners[i]).decisions.push(event));

  const routed: RoutedBatch[] = [];
  for (const [owner, part] of parts) {
    if (owner === -1) continue;
    routed.push({ owner, batch: batch.tenant === undefined ? part : { ...part, tenant: batch.tenant } });
  }
  return routed;
}

/** The string a decision event routes by: its trace id, else its decision id; its service with `service`. */
export function decisionRoutingKey(event: ReadonlyDecisionEvent, key: RoutingKey): string {
  if (key === 'service') return event.service_name ?? '';
  return event.trace_id ?? event.decision_id;
}

/** The resource's `service.name`, or '' (all such resources route together). */
export function serviceNameOf(resourceSpans: ReadonlyResourceSpans): string {
  const name = resourceSpans.resource.attributes[SERVICE_NAME];
  return typeof name === 'string' ? name : '';
}

interface Owners {
  /** One per span in document order (traceID), or one per resource (service). */
  owners: Int32Array;
  /** Spans per resource (service only). */
  counts: Int32Array;
}

function ownersBySpan(resourceSpans: readonly ReadonlyResourceSpans[], ownerOf: OwnerOf): Owners {
  let total = 0;
  for (const rs of resourceSpans) for (const ss of rs.scopeSpans) total += ss.spans.length;
  const owners = new Int32Array(total);
  // Spans of one trace usually sit next to each other: look the ring up once per run.
  let lastTraceId = '';
  let lastOwner = -1;
  let i = 0;
  for (const rs of resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        if (span.traceId !== lastTraceId || i === 0) {
          lastTraceId = span.traceId;
          lastOwner = ownerOf(span.traceId);
        }
        owners[i++] = lastOwner;
      }
    }
  }
  return { owners, counts: new Int32Array(0) };
}

function ownersByResource(resourceSpans: readonly ReadonlyResourceSpans[], ownerOf: OwnerOf): Owners {
  const owners = new Int32Array(resourceSpans.length);
  const counts = new Int32Array(resourceSpans.length);
  resourceSpans.forEach((rs, i) => {
    owners[i] = ownerOf(serviceNameOf(rs));
    for (const ss of rs.scopeSpans) counts[i] += ss.spans.length;
  });
  return { owners, counts };
}

/** The one owner of everything, -1 when nothing has an owner, undefined when the batch must be split. */
function soleOwner(spanOwners: Int32Array, decisionOwners: number[]): number | undefined {
  const first = spanOwners.length > 0 ? spanOwners[0] : decisionOwners.length > 0 ? decisionOwners[0] : -1;
  for (let i = 1; i < spanOwners.length; i++) if (spanOwners[i] !== first) return undefined;
  for (const owner of decisionOwners) if (owner !== first) return undefined;
  return first;
}

function splitSpans(
  resourceSpans: readonly ReadonlyResourceSpans[],
  owners: Int32Array,
  partOf: (owner: number) => { resourceSpans: ReadonlyResourceSpans[]; spanCount: number },
): void {
  let i = 0;
  for (const rs of resourceSpans) {
    const scopesByOwner = new Map<number, ReadonlyScopeSpans[]>();
    for (const ss of rs.scopeSpans) {
      const spansByOwner = new Map<number, ReadonlySpan[]>();
      for (const span of ss.spans) {
        const owner = owners[i++];
        let spans = spansByOwner.get(owner);
        if (!spans) spansByOwner.set(owner, (spans = []));
        spans.push(span);
      }
      for (const [owner, spans] of spansByOwner) {
        let scopes = scopesByOwner.get(owner);
        if (!scopes) scopesByOwner.set(owner, (scopes = []));
        scopes.push(spans.length === ss.spans.length ? ss : { ...ss, spans });
        partOf(owner).spanCount += spans.length;
      }
    }
    for (const [owner, scopeSpans] of scopesByOwner) partOf(owner).resourceSpans.push({ ...rs, scopeSpans });
  }
}
