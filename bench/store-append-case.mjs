// The store worker's share of the default pipeline, alone: the append calls the decisions exporter
// makes for the ingest workload (decisions, and the context spans of their traces), committed by
// SqliteDecisionStore in this thread as the store worker commits them, CPU time of this thread
// per span. The ingest cases measure the same work beside the collector's other threads on a
// shared machine; here nothing else runs in the thread, so a change to the write path shows in
// a few seconds.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractDecisionEvents, LineageIndex, resourceServiceName, toContextSpan } from '@decision-trace/model';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { SqliteDecisionStore } from '@decision-trace/store';
import { makeProtobufBodies, median, SPANS_PER_REQUEST } from './harness.mjs';
import { STOCK_BASELINE, stockDecodeSpansPerSecond } from './decode-baseline.mjs';

const { appendCallOf } = await import(new URL('../packages/store/dist/append-call.js', import.meta.url).href);

/** Requests committed in one transaction: about what the store worker gets per group under the ingest load. */
const REQUESTS_PER_COMMIT = 8;

export async function storeAppendCase({ quick }) {
  return [...(await measure('store_append', true, quick)), ...(await measure('store_append_decisions_only', false, quick))];
}

/** CPU time of this thread in µs (Linux), else of the process (which then counts the checkpointer thread too). */
function threadCpuMicros() {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000;
  } catch {
    const { user, system } = process.cpuUsage();
    return user + system;
  }
}

/** The append calls of each request, as the decisions exporter makes them (every trace holds a decision). */
function appendCalls(bodies, contextSpans) {
  const lineage = new LineageIndex();
  return bodies.map((body) => {
    const { resourceSpans } = decodeTraceRequestProtobuf(body);
    const decisions = extractDecisionEvents(resourceSpans, { lineage });
    const calls = [appendCallOf({ events: decisions })];
    if (contextSpans) {
      const tenantOfTrace = new Map(decisions.map((event) => [event.trace_id, event.tenant_id]));
      const spans = [];
      for (const resource of resourceSpans) {
        const serviceName = resourceServiceName(resource.resource);
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            const tenant = tenantOfTrace.get(span.traceId);
            if (tenant !== undefined) spans.push(toContextSpan(span, tenant, serviceName));
          }
        }
      }
      calls.push(appendCallOf({ spans }));
    }
    return calls;
  });
}

async function measure(name, contextSpans, quick) {
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 200 : 1000;
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-append-'));
  const store = new SqliteDecisionStore(join(dir, 'decisions.db'));
  const commit = async (requests) => {
    for (let i = 0; i < requests.length; i += REQUESTS_PER_COMMIT) {
      await Promise.all(
        requests
          .slice(i, i + REQUESTS_PER_COMMIT)
          .flat()
          .map((call) => store.appendPrepared(call)),
      );
    }
  };
  const perSpan = [];
  const stockPerSpan = [];
  try {
    await commit(appendCalls(makeProtobufBodies(100), contextSpans));
    for (let round = 0; round < rounds; round++) {
      const bodies = makeProtobufBodies(requestsPerRound);
      const spans = bodies.length * SPANS_PER_REQUEST;
      const stockBefore = threadCpuMicros();
      stockDecodeSpansPerSecond(bodies);
      stockPerSpan.push((threadCpuMicros() - stockBefore) / spans);
      const calls = appendCalls(bodies, contextSpans);
      const before = threadCpuMicros();
      await commit(calls);
      perSpan.push((threadCpuMicros() - before) / spans);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const value = median(perSpan);
  const baseline = median(stockPerSpan);
  return [{ name: `${name}_cpu`, unit: 'µs CPU/span', value, baseline_name: `${STOCK_BASELINE}_cpu`, baseline_value: baseline, ratio: value / baseline }];
}
