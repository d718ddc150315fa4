import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { decodeSegment } from '../packages/collector/src/exporter-helper/journal-format.js';
import {
  collectorEndpoints,
  eventually,
  launchCollector,
  launchTestCollector,
  makeTraffic,
  metricValue,
  postTraces,
  startHttpSink,
  type CollectorProcess,
  type OtlpSink,
} from './delivery-sink.js';

/**
 * Issue #17, defect 2: a persistent sending queue whose journal segment is damaged while the
 * collector is down. 40 requests of 10 spans are acknowledged while the sink answers 503, the
 * collector is killed with -9, 16 bytes in the middle of the segment are flipped, and the
 * collector restarts with the sink healthy: every span outside the damaged frame(s) arrives, the
 * loss is counted on /metrics and logged as an error that says where and how much, and nothing
 * calls the acknowledged data "never acknowledged".
 */
describe('a damaged persistent-queue segment', () => {
  let sink: OtlpSink | undefined;
  let collector: CollectorProcess | undefined;

  after(async () => {
    await collector?.stop();
    await sink?.close();
  });

  test('kill -9, 16 bytes flipped mid-segment, restart: everything outside the damaged frame is delivered', { timeout: 90_000 }, async () => {
    sink = await startHttpSink();
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-e2e-'));
    const endpoints = await collectorEndpoints();
    const queueDir = join(dir, 'queue');
    const config = join(dir, 'collector.yaml');
    const { otlpUrl, healthUrl } = endpoints;

    sink.failWith({ status: 503 });
    collector = await launchTestCollector(config, endpoints, {
      components: `exporters:
  otlphttp:
    endpoint: ${sink.url}
    sending_queue:
      storage: ${queueDir}
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 0`,
      pipelines: `    traces:
      receivers: [otlp]
      exporters: [otlphttp]`,
      metrics: true,
      logLevel: 'warn',
    });
    const acknowledged: string[][] = [];
    for (let i = 0; i < 40; i++) {
      const traffic = makeTraffic(10, 0);
      const answer = await postTraces(otlpUrl, traffic.body);
      assert.equal(answer.status, 200, 'the persistent queue acknowledges while the sink fails');
      acknowledged.push(traffic.spanIds);
    }
    await collector.kill9();
    collector = undefined;
    assert.equal(sink.spanArrivals.size, 0, 'nothing got through the failing sink');

    // The segment as it was synced: which requests' frames the 16 flipped bytes hit.
    const segments = readdirSync(join(queueDir, 'otlphttp')).filter((f) => f.endsWith('.log'));
    assert.equal(segments.length, 1, `one segment: ${segments.join(', ')}`);
    const segment = join(queueDir, 'otlphttp', segments[0]);
    const pristine = readFileSync(segment);
    const frames = decodeSegment(pristine).frames;
    assert.equal(frames.length, 40, 'every acknowledged request is in the journal');
    const middle = Math.floor(pristine.length / 2);
    const hit = frames.filter((f, i) => {
      const start = i === 0 ? 0 : frames[i - 1].bodyOffset + frames[i - 1].bodyLength;
      const end = f.bodyOffset + f.bodyLength;
      return start < middle + 16 && end > middle;
    });
    assert.ok(hit.length >= 1 && hit.length <= 2, `the flip touches one or two frames, not ${hit.length}`);
    const lostSpans = new Set(
      hit.flatMap((f) =>
        decodeTraceRequestProtobuf(pristine.subarray(f.bodyOffset, f.bodyOffset + f.bodyLength)).resourceSpans.flatMap((rs) =>
          rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)),
        ),
      ),
    );
    const damaged = Buffer.from(pristine);
    for (let i = middle; i < middle + 16; i++) damaged[i] ^= 0xff;
    writeFileSync(segment, damaged);

    sink.failWith(undefined);
    collector = await launchCollector(config, healthUrl);
    const expected = acknowledged.flat().filter((id) => !lostSpans.has(id));
    assert.equal(expected.length, 400 - 10 * hit.length);
    const complete = await eventually(() => expected.every((id) => sink!.spanArrivals.has(id)), 30_000);
    assert.ok(
      complete,
      `${expected.filter((id) => !sink!.spanArrivals.has(id)).length} of ${expected.length} spans outside the damaged frame(s) were not delivered`,
    );

    const text = await (await fetch(endpoints.metricsUrl)).text();
    assert.equal(metricValue(text, 'otelcol_exporter_queue_lost_requests_total', { exporter: 'otlphttp' }), hit.length);
    assert.ok((metricValue(text, 'otelcol_exporter_queue_lost_bytes_total', { exporter: 'otlphttp' }) ?? 0) > 0);

    const lines = collector
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string; lostRequests?: number; segment?: string; offset?: number });
    const errors = lines.filter((l) => l.level === 50 && /journal damaged/.test(l.msg));
    assert.equal(
      errors.reduce((sum, l) => sum + (l.lostRequests ?? 0), 0),
      hit.length,
      JSON.stringify(lines),
    );
    assert.ok(
      errors.every((l) => l.segment === segment && typeof l.offset === 'number'),
      'the log says where',
    );
    assert.ok(!lines.some((l) => /never acknowledged/.test(l.msg)), 'acknowledged data is not called "never acknowledged"');
  });
});
