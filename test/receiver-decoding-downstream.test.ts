import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { z } from 'zod';
import type { ReadonlyResourceSpans } from '@decision-trace/model';
import { decodeTraceRequestProtobuf, receivedEncodingOf } from '@decision-trace/otlp';
import { CollectorService, defaultComponents, parseCollectorConfig, type ExporterFactory, type TraceBatch } from '@decision-trace/collector';
import { eventually, makeTraffic, postTraces, startHttpSink, type OtlpSink } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';

/**
 * The receiver decodes for the pipelines behind it (#19): it keeps each resource's and scope's
 * received bytes, and tracks what decoding leaves out of them, only when some exporter of those
 * pipelines forwards spans in those bytes (otlp, otlphttp with protobuf, load_balancing). A
 * collector that only stores decisions pays for neither. Real collector service in process, real
 * OTLP/HTTP receiver and otlphttp exporter; a probe exporter records what the pipeline hands it.
 */

interface Seen {
  resourceSpans: readonly ReadonlyResourceSpans[];
  /** Per resource, then per scope: whether received bytes were kept for it. */
  kept: boolean[];
}

function probeFactory(seen: Map<string, Seen[]>): ExporterFactory<Record<string, never>> {
  return {
    kind: 'exporter',
    type: 'probe',
    configSchema: z.strictObject({}),
    create: ({ id }) => ({
      start: async () => undefined,
      shutdown: async () => undefined,
      consumeTraces: async (batch: TraceBatch) => {
        const kept = batch.resourceSpans.flatMap((rs) => [
          receivedEncodingOf(rs) !== undefined,
          ...rs.scopeSpans.map((ss) => receivedEncodingOf(ss) !== undefined),
        ]);
        seen.set(id, [...(seen.get(id) ?? []), { resourceSpans: batch.resourceSpans, kept }]);
      },
    }),
  };
}

async function startService(seen: Map<string, Seen[]>, exporters: string, pipelines: string): Promise<{ service: CollectorService; url: string }> {
  const port = await freePort();
  const config = parseCollectorConfig(
    `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${port}
processors:
  decision: {}
exporters:
  probe: {}
  probe/other: {}
${exporters}service:
  pipelines:
${pipelines}  telemetry:
    metrics:
      level: none
`,
    defaultComponents().register(probeFactory(seen)),
    {},
  );
  const service = new CollectorService(config, pino({ level: 'silent' }));
  await service.start();
  return { service, url: `http://127.0.0.1:${port}` };
}

const pipeline = (name: string, exporters: string) =>
  `    traces/${name}:\n      receivers: [otlp]\n      processors: [decision]\n      exporters: [${exporters}]\n`;
const otlphttp = (name: string, sink: OtlpSink, encoding = 'proto') =>
  `  otlphttp/${name}:\n    endpoint: ${sink.url}\n    encoding: ${encoding}\n    compression: none\n    retry_on_failure: { enabled: false }\n`;

describe('the receiver keeps received bytes only for pipelines that forward them', () => {
  const services: CollectorService[] = [];
  const sinks: OtlpSink[] = [];
  after(async () => {
    for (const service of services) await service.shutdown();
    for (const sink of sinks) await sink.close();
  });

  test('no forwarding exporter: the same spans, and nothing kept', async () => {
    const seen = new Map<string, Seen[]>();
    const { service, url } = await startService(seen, '', pipeline('store', 'probe'));
    services.push(service);
    const { body } = makeTraffic(20, 3);
    assert.equal((await postTraces(url, body)).status, 200);
    const [batch] = seen.get('probe') ?? [];
    assert.ok(batch, 'the probe got the request');
    assert.deepStrictEqual(batch.resourceSpans, decodeTraceRequestProtobuf(body).resourceSpans);
    assert.deepStrictEqual(batch.kept, [false, false], 'no resource or scope kept its received bytes');
  });

  test('otlphttp with JSON encoding encodes what it sends: nothing kept either', async () => {
    const seen = new Map<string, Seen[]>();
    const sink = await startHttpSink();
    sinks.push(sink);
    const { service, url } = await startService(seen, otlphttp('json', sink, 'json'), pipeline('json', 'probe, otlphttp/json'));
    services.push(service);
    const { body } = makeTraffic(10, 1);
    assert.equal((await postTraces(url, body)).status, 200);
    assert.deepStrictEqual(seen.get('probe')?.[0]?.kept, [false, false]);
    assert.ok(await eventually(() => sink.requests.length === 1, 10_000), 'the sink got the spans');
    assert.deepStrictEqual(sink.requests[0].resourceSpans, decodeTraceRequestProtobuf(body).resourceSpans);
  });

  test('a forwarding pipeline beside one that only stores: bytes kept, forwarded as received, the other pipeline sees the same spans', async () => {
    const seen = new Map<string, Seen[]>();
    const sink = await startHttpSink();
    sinks.push(sink);
    const { service, url } = await startService(
      seen,
      otlphttp('forward', sink),
      pipeline('store', 'probe') + pipeline('forward', 'probe/other, otlphttp/forward'),
    );
    services.push(service);
    const { body } = makeTraffic(20, 3);
    assert.equal((await postTraces(url, body)).status, 200);
    const decoded = decodeTraceRequestProtobuf(body).resourceSpans;
    for (const id of ['probe', 'probe/other']) {
      const [batch] = seen.get(id) ?? [];
      assert.ok(batch, `${id} got the request`);
      assert.deepStrictEqual(batch.resourceSpans, decoded, id);
      assert.deepStrictEqual(batch.kept, [true, true], `${id}: the resource and its scope kept their bytes`);
    }
    assert.ok(await eventually(() => sink.requests.length === 1, 10_000), 'the sink got the request');
    assert.ok(sink.requests[0].body.equals(body), 'forwarded in the bytes it arrived in');
  });
});
