import type { Actor, CausalLinkType, DecisionRecord, DecisionStatus, TokenUsage } from '@decision-trace/model';
import { MAX_NEIGHBORS } from './neighbor-limit.js';
import type { DecisionReader } from './store.js';

/**
 * The decision graph around one decision: a breadth-first walk over parent, child and causal
 * edges in both directions (a decision's causal targets and the decisions linking to it), up
 * to `depth` hops. Each decision is visited once, so cycles of causal links end the walk
 * instead of looping.
 */

export const DEFAULT_GRAPH_DEPTH = 3;
export const MAX_GRAPH_DEPTH = 10;
/** Nodes at most: a decision with a huge fan-out must not produce an unbounded answer. */
export const MAX_GRAPH_NODES = 500;

export interface DecisionGraphNode {
  id: string;
  /** Hops from the root decision. */
  depth: number;
  /** true: referenced (as a parent or causal target) but not stored; only `id` and `depth` are known. */
  missing: boolean;
  type: string | null;
  version: string | null;
  outcome: string | null;
  status: DecisionStatus | null;
  confidence: number | null;
  actor: Actor | null;
  trace_id: string | null;
  span_id: string | null;
  start_time: string | null;
  service_name: string | null;
  token_usage: TokenUsage | null;
}

/**
 * `parent_of`: `from` is the parent decision of `to`. A causal type: `from` holds the link
 * (`from` depends_on `to`).
 */
export interface DecisionGraphEdge {
  from: string;
  to: string;
  kind: 'parent' | 'causal';
  type: 'parent_of' | CausalLinkType;
}

export interface DecisionGraph {
  root: string;
  tenant: string;
  depth: number;
  nodes: DecisionGraphNode[];
  edges: DecisionGraphEdge[];
  /** true when MAX_GRAPH_NODES cut the walk short (some decisions within `depth` are missing). */
  truncated: boolean;
}

export async function walkDecisionGraph(
  store: Pick<DecisionReader, 'neighborDecisions'>,
  root: DecisionRecord,
  depth: number,
  maxNodes: number = MAX_GRAPH_NODES,
): Promise<DecisionGraph> {
  if (!Number.isSafeInteger(maxNodes) || maxNodes < 1 || maxNodes >= MAX_NEIGHBORS) throw new RangeError(`maxNodes must be 1 … ${MAX_NEIGHBORS - 1}`);
  const tenant = root.tenant;
  const records = new Map<string, DecisionRecord>([[root.id, root]]);
  const depthOf = new Map<string, number>([[root.id, 0]]);
  let truncated = false;
  let frontier: DecisionRecord[] = [root];

  for (let level = 1; level <= depth && frontier.length > 0 && !truncated; level++) {
    // The neighbors may include decisions already visited (at most all nodes so far), so this
    // limit returns every new one there is room for, and one more when there are more.
    const limit = maxNodes + 1;
    const neighbors = await store.neighborDecisions(
      tenant,
      frontier.map((r) => r.id),
      { limit },
    );
    // A full answer may have left some out.
    if (neighbors.length >= limit) truncated = true;
    const next: DecisionRecord[] = [];
    for (const record of neighbors) {
      if (depthOf.has(record.id)) continue;
      if (depthOf.size >= maxNodes) {
        truncated = true;
        break;
      }
      records.set(record.id, record);
      depthOf.set(record.id, level);
      next.push(record);
    }
    // Parents and causal targets that are not stored still appear, as missing nodes.
    for (const record of frontier) {
      for (const id of referencedIds(record)) {
        if (depthOf.has(id)) continue;
        if (depthOf.size >= maxNodes) {
          truncated = true;
          break;
        }
        depthOf.set(id, level);
      }
    }
    frontier = next;
  }

  const nodes: DecisionGraphNode[] = [];
  for (const [id, nodeDepth] of depthOf) {
    const record = records.get(id);
    nodes.push(record === undefined ? missingNode(id, nodeDepth) : toNode(record, nodeDepth));
  }
  return { root: root.id, tenant, depth, nodes, edges: edgesAmong(records, depthOf), truncated };
}

/** Every edge whose two ends are nodes of the graph, once. */
function edgesAmong(records: ReadonlyMap<string, DecisionRecord>, included: ReadonlyMap<string, number>): DecisionGraphEdge[] {
  const edges: DecisionGraphEdge[] = [];
  for (const record of records.values()) {
    const parent = record.parent_decision_id;
    if (parent !== null && included.has(parent)) edges.push({ from: parent, to: record.id, kind: 'parent', type: 'parent_of' });
    for (const link of record.causal_links) {
      if (included.has(link.target_decision_id)) {
        edges.push({ from: record.id, to: link.target_decision_id, kind: 'causal', type: link.type });
      }
    }
  }
  return edges;
}

function* referencedIds(record: DecisionRecord): Generator<string> {
  if (record.parent_decision_id !== null) yield record.parent_decision_id;
  for (const link of record.causal_links) yield link.target_decision_id;
}

function toNode(record: DecisionRecord, depth: number): DecisionGraphNode {
  return {
    id: record.id,
    depth,
    missing: false,
    type: record.type,
    version: record.version,
    outcome: record.outcome,
    status: record.status,
    confidence: record.confidence,
    actor: record.actor,
    trace_id: record.trace_id,
    span_id: record.span_id,
    start_time: record.start_time,
    service_name: record.service_name,
    token_usage: record.token_usage ?? null,
  };
}

function missingNode(id: string, depth: number): DecisionGraphNode {
  return {
    id,
    depth,
    missing: true,
    type: null,
    version: null,
    outcome: null,
    status: null,
    confidence: null,
    actor: null,
    trace_id: null,
    span_id: null,
    start_time: null,
    service_name: null,
    token_usage: null,
  };
}
