// The pipeline's throughput with the decision connectors on (issue #20): the default pipeline
// (otlp → decision → decisions into SQLite), and the same with `decision_metrics` and
// `decision_anomaly` as further exporters feeding a metrics pipeline with a `prometheus`
// exporter. Both collectors run side by side and get the same bodies, in alternating rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, makeProtobufBodies, median, pipelineYaml, postAll, startCollector, stopCollector } from './harness.mjs';

const CONCURRENCY = 16;

function withConnectors(yaml, promPort) {
  const connected = yaml
    .replace('extensions:\n', 'connectors:\n  decision_metrics:\n    metrics_flush_interval: 1s\n  decision_anomaly: {}\nextensions:\n')
    .replace(
      '      exporters: [decisions, decision_metrics, decision_anomaly]\n',
      '      exporters: [decisions, decision_metrics, decision_anomaly]\n    metrics:\n      receivers: [decision_metrics, decision_anomaly]\n      exporters: [prometheus]\n',
    );
  if (connected === yaml || !connected.includes('    metrics:\n')) throw new Error('the default pipeline YAML changed shape: update withConnectors');
  return connected.replace('exporters:\n', `exporters:\n  prometheus:\n    endpoint: 127.0.0.1:${promPort}\n`);
}

export async function decisionConnectorsIngestCase({ quick, root }) {
  const dir = mkdtempSync(join(tmpdir(), 'dt-bench-connectors-'));
  const [plainHttp, plainHealth, onHttp, onHealth, promPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const receiver = (port) => `      http:\n        endpoint: 127.0.0.1:${port}\n`;
  const plain = await startCollector(
    root,
    dir,
    'plain',
    pipelineYaml({ dir, name: 'plain', receiver: receiver(plainHttp), healthPort: plainHealth }),
    plainHealth,
  );
  let connected;
  try {
    const yaml = withConnectors(
      pipelineYaml({ dir, name: 'connected', receiver: receiver(onHttp), healthPort: onHealth, exporterIds: 'decisions, decision_metrics, decision_anomaly' }),
      promPort,
    );
    connected = await startCollector(root, dir, 'connected', yaml, onHealth);
    const rounds = quick ? 3 : 5;
    const requests = quick ? 100 : 500;
    await postAll(plainHttp, makeProtobufBodies(50), { concurrency: CONCURRENCY });
    await postAll(onHttp, makeProtobufBodies(50), { concurrency: CONCURRENCY });
    const off = [];
    const on = [];
    for (let round = 0; round < rounds; round++) {
      const bodies = makeProtobufBodies(requests);
      off.push(await postAll(plainHttp, bodies, { concurrency: CONCURRENCY }));
      on.push(await postAll(onHttp, bodies, { concurrency: CONCURRENCY }));
    }
    // The connector did count the decisions (it flushes every second here).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const scraped = await (await fetch(`http://127.0.0.1:${promPort}/metrics`)).text();
    if (!/^decision_count_total\{[^}]*decision_outcome="approved"/m.test(scraped))
      throw new Error(`the decision_metrics connector counted nothing:\n${scraped.slice(0, 500)}`);
    const value = median(on);
    const baseline = median(off);
    return {
      name: 'decision_connectors_ingest',
      description: `OTLP/HTTP protobuf ingest (100-span requests, 10 decisions each, ${CONCURRENCY} in flight) through the default pipeline with decision_metrics (a flush every second) and decision_anomaly (default settings) also on it, feeding a prometheus exporter; baseline: the default pipeline alone, in a second collector on the same machine, same bodies, alternating rounds`,
      unit: 'spans/s',
      value,
      baseline_name: 'default_pipeline',
      baseline_value: baseline,
      ratio: value / baseline,
    };
  } finally {
    if (connected) await stopCollector(connected);
    await stopCollector(plain);
    rmSync(dir, { recursive: true, force: true });
  }
}
