import { median } from './harness.mjs';
import { COLLECTOR_BASELINE, collectorDecodeSpansPerSecond, STOCK_BASELINE, stockDecodeSpansPerSecond } from './decode-baseline.mjs';

/**
 * The ingest cases' measurement: a warm-up, then rounds of fresh bodies, each timed end to end
 * through the collector and decoded in this process for the baselines. Reports the median
 * against stock protobufjs decode-only and against the collector's own decode.
 *
 * `makeBodies(count)` returns `{ plain, sent }`: the protobuf bodies and what goes on the wire
 * (the same, or compressed); `send(sent)` resolves to spans/s.
 */
export async function measureIngest({ name, quick, makeBodies, send }) {
  const rounds = quick ? 3 : 5;
  const requestsPerRound = quick ? 200 : 1000;
  await send(makeBodies(50).sent);
  const e2e = [];
  const stock = [];
  const collector = [];
  for (let round = 0; round < rounds; round++) {
    const { plain, sent } = makeBodies(requestsPerRound);
    stock.push(stockDecodeSpansPerSecond(plain));
    collector.push(collectorDecodeSpansPerSecond(plain));
    e2e.push(await send(sent));
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
  ];
}
