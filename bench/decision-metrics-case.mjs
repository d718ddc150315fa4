// The decision_metrics connector's cost per decision (issue #20), in-process: requests as the
// decision processor leaves them (spans decoded, decisions extracted) go through the connector's
// consumeTraces, with a flush (the SDK's collection, the connector's exemplars) every 100
// requests. The baseline is the decision processor's own work on the same requests: finding the
// decisions in the spans, the step of the default pipeline every decision already pays for.
import { pino } from 'pino';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { extractDecisionEvents, LineageIndex } from '@decision-trace/model';
import { decisionMetricsConnectorSchema } from '../packages/collector/dist/connectors/decision_metrics/config.js';
import { DecisionMetricsConnector } from '../packages/collector/dist/connectors/decision_metrics/decision-metrics-connector.js';
import { median } from './harness.mjs';
import { makeRequest } from './workload.mjs';

const FLUSH_EVERY = 100;

function makeBatches(count) {
  const batches = [];
  for (let i = 0; i < count; i++) {
    const resourceSpans = decodeTraceRequestProtobuf(encodeTraceRequestProtobuf(makeRequest(100))).resourceSpans;
    batches.push({ resourceSpans, spanCount: 100, decisions: extractDecisionEvents(resourceSpans) });
  }
  return batches;
}

function measure(batches, work) {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const decisions = work(batches);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { rate: decisions / seconds, cpuMicrosPerDecision: (used.user + used.system) / decisions };
}

async function throughConnector(batches, settings) {
  let sent = 0;
  const connector = new DecisionMetricsConnector('decision_metrics', decisionMetricsConnectorSchema.parse(settings), pino({ level: 'silent' }), {
    async consumeMetrics(batch) {
      sent += batch.dataPointCount;
    },
  });
  await connector.start();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let decisions = 0;
  for (let i = 0; i < batches.length; i++) {
    // A fresh copy of the decisions each round: the connector must count each one anew.
    const batch = batches[i];
    await connector.consumeTraces({ ...batch, decisions: batch.decisions.map((d) => ({ ...d, decision_id: `${d.decision_id}-${round}` })) });
    decisions += batch.decisions.length;
    if ((i + 1) % FLUSH_EVERY === 0) await connector.flush();
  }
  await connector.flush();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await connector.shutdown();
  if (sent === 0) throw new Error('the connector sent no data points');
  return { rate: decisions / seconds, cpuMicrosPerDecision: (used.user + used.system) / decisions };
}

let round = 0;

export async function decisionMetricsCase({ quick }) {
  const batches = makeBatches(quick ? 200 : 1000);
  const rounds = quick ? 3 : 7;
  const variants = [
    ['decision_metrics_connector', 'default settings (cumulative, no exemplars)', {}],
    [
      'decision_metrics_connector_delta_exemplars',
      'delta temporality, exemplars, service.name and an evidence key as further dimensions, a cardinality limit',
      {
        aggregation_temporality: 'AGGREGATION_TEMPORALITY_DELTA',
        exemplars: { enabled: true },
        dimensions: [{ name: 'service.name' }, { name: 'decision.evidence.customer_tier' }],
        aggregation_cardinality_limit: 1000,
      },
    ],
  ];
  const baseline = [];
  const baselineCpu = [];
  const results = new Map(variants.map(([name]) => [name, { rate: [], cpu: [] }]));
  for (let r = 0; r < rounds; r++) {
    const extracted = measure(batches, (all) => {
      const lineage = new LineageIndex();
      let count = 0;
      for (const batch of all) count += extractDecisionEvents(batch.resourceSpans, { lineage }).length;
      return count;
    });
    baseline.push(extracted.rate);
    baselineCpu.push(extracted.cpuMicrosPerDecision);
    for (const [name, , settings] of variants) {
      round += 1;
      const result = await throughConnector(batches, settings);
      results.get(name).rate.push(result.rate);
      results.get(name).cpu.push(result.cpuMicrosPerDecision);
    }
  }
  const baselineValue = median(baseline);
  return variants.map(([name, what]) => {
    const value = median(results.get(name).rate);
    return {
      name,
      description: `decisions through the decision_metrics connector, ${what}: ${median(results.get(name).cpu).toFixed(2)} µs CPU per decision (a flush every ${FLUSH_EVERY} requests of 100 spans and 10 decisions), against the decision processor finding the same decisions in the spans (${median(baselineCpu).toFixed(2)} µs CPU per decision)`,
      unit: 'decisions/s',
      value,
      baseline_name: 'decision_processor_extraction',
      baseline_value: baselineValue,
      ratio: value / baselineValue,
    };
  });
}
