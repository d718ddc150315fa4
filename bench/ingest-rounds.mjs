import { cpuMicrosPerSpan, median, SPANS_PER_REQUEST, threadCpuNanos } from './harness.mjs';
import { COLLECTOR_BASELINE, collectorDecodeSpansPerSecond, STOCK_BASELINE, stockDecodeSpansPerSecond } from './decode-baseline.mjs';

/**
 * The ingest cases' measurement: a warm-up, then rounds of fresh bodies, each timed end to end
 * through the collector and decoded in this process for the baselines. Reports the median
 * against stock protobufjs decode-only and against the collector's own decode.
 *
 * `makeBodies(count)` returns `{ plain, sent }`: the protobuf bodies and what goes on the wire
 * (the same, or compressed); `send(sent)` resolves to spans/s. With the collector's `pid`, each
 * round also reads the CPU time of its threads (harness.mjs threadCpuNanos) and the case reports
 * µs of CPU per span of the main thread, the store worker, the WAL checkpointer and the rest, against the CPU time
 * stock protobufjs takes to decode a span in this process: on a machine shared with other work
 * CPU time per span moves far less than spans per second.
 */
export async function measureIngest({ name, quick, makeBodies, send, pid }) {
  // Nine rounds: on this shared VM one round's spans/s moves by a fifth from one to the next.
  const rounds = quick ? 3 : 9;
  const requestsPerRound = quick ? 200 : 1000;
  await send(makeBodies(50).sent);
  const e2e = [];
  const stock = [];
  const collector = [];
  const stockCpu = [];
  const threads = { main: [], store: [], checkpointer: [], other: [] };
  for (let round = 0; round < rounds; round++) {
    const { plain, sent } = makeBodies(requestsPerRound);
    const cpuBefore = process.cpuUsage();
    stock.push(stockDecodeSpansPerSecond(plain));
    const { user, system } = process.cpuUsage(cpuBefore);
    stockCpu.push((user + system) / (plain.length * SPANS_PER_REQUEST));
    collector.push(collectorDecodeSpansPerSecond(plain));
    const before = pid === undefined ? null : threadCpuNanos(pid);
    e2e.push(await send(sent));
    const perSpan = cpuMicrosPerSpan(before, pid === undefined ? null : threadCpuNanos(pid), plain.length * SPANS_PER_REQUEST);
    if (perSpan !== null) for (const group of Object.keys(threads)) threads[group].push(perSpan[group]);
  }
  const value = median(e2e);
  const stockBaseline = median(stock);
  const collectorBaseline = median(collector);
  return [
    { name, unit: 'spans/s', value, baseline_name: STOCK_BASELINE, baseline_value: stockBaseline, ratio: value / stockBaseline },
    {
      name: `${name}_vs_collector_decode`,
      unit: 'spans/s',
      value,
      baseline_name: COLLECTOR_BASELINE,
      baseline_value: collectorBaseline,
      ratio: value / collectorBaseline,
    },
    ...cpuRows(name, threads, median(stockCpu)),
  ];
}

const THREAD_ROWS = [
  ['main', 'cpu_main_thread'],
  ['store', 'cpu_store_worker'],
  ['checkpointer', 'cpu_wal_checkpointer'],
  ['other', 'cpu_other_threads'],
];

/** µs CPU per span of each thread group (medians of the rounds); none without /proc readings. */
function cpuRows(name, threads, stockCpuPerSpan) {
  if (threads.main.length === 0) return [];
  return THREAD_ROWS.map(([group, suffix]) => {
    const value = median(threads[group]);
    return {
      name: `${name}_${suffix}`,
      unit: 'µs CPU/span',
      value,
      baseline_name: `${STOCK_BASELINE}_cpu`,
      baseline_value: stockCpuPerSpan,
      ratio: value / stockCpuPerSpan,
    };
  });
}
