// Tail sampling: decisions per second with a realistic policy set, and heap per buffered span
// with num_traces: 50000 (all 50,000 traces of 10 spans held at once). The memory part runs in
// a child process started with --expose-gc so garbage is not counted.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { extractDecisionEvents } from '@decision-trace/model';
import { ManualClock, TailSampler, encodedSpanSize } from '@decision-trace/sampling';
import { makeRequest } from './workload.mjs';

const NUM_TRACES = 50_000;
const TRACES_PER_REQUEST = 10;

const POLICIES = [
  {
    name: 'no-health',
    type: 'drop',
    drop: {
      drop_sub_policy: [
        {
          name: 'health',
          type: 'string_attribute',
          string_attribute: { key: 'url.path', values: ['^/health'], enabled_regex_matching: true, cache_max_size: 0, invert_match: false },
        },
      ],
    },
  },
  { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
  { name: 'slow', type: 'latency', latency: { threshold_ms: 5_000, upper_threshold_ms: 0 } },
  { name: 'risky-refunds', type: 'decision', decision: { type: 'refund.*', outcome: ['approved'], confidence_below: 0.6 } },
  { name: 'baseline', type: 'probabilistic', probabilistic: { hash_salt: '', sampling_percentage: 10 } },
];

function tailConfig(numTraces) {
  return {
    decision_wait: 30_000,
    decision_wait_after_root_received: 0,
    num_traces: numTraces,
    decision_cache: { sampled_cache_size: 0, non_sampled_cache_size: 0 },
    sample_on_first_match: false,
    policies: POLICIES,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Decoded requests as the receiver hands them on, with their decision events. */
function makeBatches(requests) {
  const batches = [];
  for (let i = 0; i < requests; i++) {
    const resourceSpans = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(makeRequest(TRACES_PER_REQUEST * 10))).resourceSpans;
    batches.push({ resourceSpans, decisions: extractDecisionEvents(resourceSpans) });
  }
  return batches;
}

function decideAllTraces(batches) {
  const clock = new ManualClock(0);
  const tail = new TailSampler(tailConfig(NUM_TRACES), clock);
  const start = process.hrtime.bigint();
  let decided = 0;
  for (const batch of batches) {
    tail.ingest(batch.resourceSpans, batch.decisions);
    clock.advance(1);
  }
  clock.advance(30_000);
  decided += tail.decideDue().length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (decided !== batches.length * TRACES_PER_REQUEST) throw new Error(`decided ${decided} traces`);
  return decided / seconds;
}

/** The same spans grouped by trace id into arrays: what any trace buffer has to do at least. */
function groupOnly(batches) {
  const start = process.hrtime.bigint();
  const traces = new Map();
  for (const batch of batches) {
    for (const rs of batch.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const span of ss.spans) {
          const list = traces.get(span.traceId);
          if (list) list.push(span);
          else traces.set(span.traceId, [span]);
        }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return traces.size / seconds;
}

function measureMemoryInChild() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=6144', fileURLToPath(import.meta.url), '--memory-child'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`memory child exited ${code}`))));
  });
}

/** Heap held per buffered span after GC: the decoded span itself plus the sampler's structures. */
async function memoryChild() {
  const requests = NUM_TRACES / TRACES_PER_REQUEST;
  const bodies = [];
  for (let i = 0; i < requests; i++) bodies.push(encodeTraceRequestProtobuf(makeRequest(TRACES_PER_REQUEST * 10)));
  let encodedBytes = 0;
  let spans = 0;
  const heap = () => {
    global.gc();
    global.gc();
    return process.memoryUsage().heapUsed;
  };
  const before = heap();
  const tail = new TailSampler(tailConfig(NUM_TRACES), new ManualClock(0));
  for (const body of bodies) {
    const { resourceSpans } = decodeTraceRequestProtobuf(body);
    for (const rs of resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const span of ss.spans) {
          encodedBytes += encodedSpanSize(span);
          spans++;
        }
    tail.ingest(resourceSpans, extractDecisionEvents(resourceSpans));
  }
  const withSampler = heap();
  if (tail.tracesInMemory !== NUM_TRACES) throw new Error(`${tail.tracesInMemory} traces buffered`);
  const perSpan = (withSampler - before) / spans;
  process.stdout.write(JSON.stringify({ perSpan, encodedPerSpan: encodedBytes / spans, spans }));
}

export async function samplingCase({ quick }) {
  const rounds = quick ? 3 : 5;
  const requests = quick ? 500 : 2_000;
  const decisions = [];
  const baseline = [];
  for (let round = 0; round < rounds; round++) {
    const batches = makeBatches(requests);
    baseline.push(groupOnly(batches));
    decisions.push(decideAllTraces(batches));
  }
  const memory = await measureMemoryInChild();
  const beyondEncoded = memory.perSpan - memory.encodedPerSpan;
  console.log(
    `tail sampling at num_traces ${NUM_TRACES}: ${Math.round(memory.perSpan)} B of heap per buffered span (decoded span and ` +
      `sampler structures), ${Math.round(memory.encodedPerSpan)} B encoded: ${Math.round(beyondEncoded)} B beyond the encoded size (target ≤ 1024)`,
  );
  return [
    {
      name: 'tail_sampling_decisions',
      unit: 'traces/s',
      value: median(decisions),
      baseline_name: 'group_spans_by_trace_only',
      baseline_value: median(baseline),
      ratio: median(decisions) / median(baseline),
    },
    {
      name: 'tail_sampling_heap_per_buffered_span',
      unit: 'bytes',
      value: memory.perSpan,
      baseline_name: 'otlp_protobuf_encoded_span',
      baseline_value: memory.encodedPerSpan,
      ratio: memory.perSpan / memory.encodedPerSpan,
    },
  ];
}

if (process.argv.includes('--memory-child')) await memoryChild();
