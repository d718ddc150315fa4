import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { z } from 'zod';
import { extractDecisionEvents, LineageIndex, type ReadonlyDecisionEvent, type ReadonlyResourceSpans } from '@decision-trace/model';
import { makeSpanOutline } from '@decision-trace/model/testing';
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
  decisions: readonly ReadonlyDecisionEvent[];
  /** Per resource, then per scope: whether received bytes were kept for it. */
  kept: boolean[];
}

/** Records what it is handed; `decision_spans_only` makes it declare it reads only decision spans (as the decisions exporter does without context spans). */
function probeFactory(seen: Map<string, Seen[]>): ExporterFactory<{ decision_spans_only: boolean }> {
  return {
    kind: 'exporter',
    type: 'probe',
    configSchema: z.strictObject({ decision_spans_only: z.boolean().default(false) }),
    readsDecisionSpansOnly: (config) => config.decision_spans_only,
    create: ({ id }) => ({
      start: async () => undefined,
      shutdown: async () => undefined,
      consumeTraces: async (batch: TraceBatch) => {
        const kept = batch.resourceSpans.flatMap((rs) => [
          receivedEncodingOf(rs) !== undefined,
          ...rs.scopeSpans.map((ss) => receivedEncodingOf(ss) !== undefined),
        ]);
        seen.set(id, [...(seen.get(id) ?? []), { resourceSpans: batch.resourceSpans, decisions: batch.decisions, kept }]);
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
  memory_limiter: { check_interval: 1s, limit_mib: 4096 }
exporters:
  probe: {}
  probe/other: {}
  probe/decisions: { decision_spans_only: true }
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

const pipeline = (name: string, exporters: string, processors = 'decision') =>
  `    traces/${name}:\n      receivers: [otlp]\n      processors: [${processors}]\n      exporters: [${exporters}]\n`;
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

/** The request's spans with every span that cannot hold a decision cut to its ids (what @decision-trace/otlp calls an outline). */
function outlined(resourceSpans: readonly ReadonlyResourceSpans[]): unknown {
  return resourceSpans.map((rs) => ({
    ...rs,
    scopeSpans: rs.scopeSpans.map((ss) => ({
      ...ss,
      spans: ss.spans.map((span) => ('decision.type' in span.attributes || span.events.length > 0 || span.links.length > 0 ? span : makeSpanOutline(span))),
    })),
  }));
}

describe('pipelines that read only decision spans get the other spans as outlines', () => {
  const services: CollectorService[] = [];
  const sinks: OtlpSink[] = [];
  after(async () => {
    for (const service of services) await service.shutdown();
    for (const sink of sinks) await sink.close();
  });

  test('decision processor and a consumer of decisions only: other spans outlined, the same decisions', async () => {
    const seen = new Map<string, Seen[]>();
    const { service, url } = await startService(seen, '', pipeline('decisions', 'probe/decisions', 'memory_limiter, decision'));
    services.push(service);
    const { body } = makeTraffic(20, 3);
    assert.equal((await postTraces(url, body)).status, 200);
    const [batch] = seen.get('probe/decisions') ?? [];
    assert.ok(batch, 'the probe got the request');
    const full = decodeTraceRequestProtobuf(body).resourceSpans;
    assert.deepStrictEqual(batch.resourceSpans, outlined(full));
    assert.notDeepStrictEqual(batch.resourceSpans, full, 'some spans were outlined');
    assert.deepStrictEqual(batch.decisions, extractDecisionEvents(full, { lineage: new LineageIndex() }));
    assert.equal(batch.decisions.length, 3);
  });

  test('a pass-through to otlphttp (protobuf): other spans outlined, the sink gets the bytes the client sent', async () => {
    const seen = new Map<string, Seen[]>();
    const sink = await startHttpSink();
    sinks.push(sink);
    const { service, url } = await startService(seen, otlphttp('forward', sink), pipeline('pass', 'probe/decisions, otlphttp/forward', 'memory_limiter'));
    services.push(service);
    const { body } = makeTraffic(20, 3);
    assert.equal((await postTraces(url, body)).status, 200);
    const [batch] = seen.get('probe/decisions') ?? [];
    assert.ok(batch, 'the probe got the request');
    const full = decodeTraceRequestProtobuf(body).resourceSpans;
    assert.deepStrictEqual(batch.resourceSpans, outlined(full));
    assert.notDeepStrictEqual(batch.resourceSpans, full, 'some spans were outlined');
    assert.deepStrictEqual(batch.kept, [true, true], 'outlines come with their bytes');
    assert.ok(await eventually(() => sink.requests.length === 1, 10_000), 'the sink got the request');
    assert.ok(sink.requests[0].body.equals(body), 'forwarded in the bytes it arrived in');
  });

  test('a pass-through request large enough to be decoded in slices keeps no bytes: its spans come whole and are encoded', async () => {
    const seen = new Map<string, Seen[]>();
    const sink = await startHttpSink();
    sinks.push(sink);
    const { service, url } = await startService(seen, otlphttp('forward', sink), pipeline('pass', 'probe/decisions, otlphttp/forward', 'memory_limiter'));
    services.push(service);
    const { body } = makeTraffic(8000, 3);
    assert.ok(body.length > 512 * 1024, `${body.length} bytes: more than one slice`);
    assert.equal((await postTraces(url, body)).status, 200);
    const full = decodeTraceRequestProtobuf(body).resourceSpans;
    const [batch] = seen.get('probe/decisions') ?? [];
    assert.deepStrictEqual(batch?.resourceSpans, full, 'every span whole');
    assert.ok(await eventually(() => sink.spanArrivals.size >= 8000, 10_000), 'the sink got the spans');
    assert.deepStrictEqual(
      sink.requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))),
      full.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
    );
  });

  test('one pipeline beside it that reads every span: every span decoded whole, for both', async () => {
    const seen = new Map<string, Seen[]>();
    const { service, url } = await startService(seen, '', pipeline('decisions', 'probe/decisions') + pipeline('all', 'probe'));
    services.push(service);
    const { body } = makeTraffic(20, 3);
    assert.equal((await postTraces(url, body)).status, 200);
    const full = decodeTraceRequestProtobuf(body).resourceSpans;
    for (const id of ['probe/decisions', 'probe']) assert.deepStrictEqual(seen.get(id)?.[0]?.resourceSpans, full, id);
  });

  test('a malformed request is refused with the same answer as by a collector that decodes every span', async () => {
    const seen = new Map<string, Seen[]>();
    const outlining = await startService(seen, '', pipeline('decisions', 'probe/decisions'));
    services.push(outlining.service);
    const sink = await startHttpSink();
    sinks.push(sink);
    const forwarding = await startService(seen, otlphttp('forward', sink), pipeline('pass', 'otlphttp/forward', 'memory_limiter'));
    services.push(forwarding.service);
    const whole = await startService(new Map(), '', pipeline('all', 'probe'));
    services.push(whole.service);
    const { body } = makeTraffic(20, 3);
    const bodies = [body.subarray(0, body.length - 7), Buffer.concat([body.subarray(0, 200), Buffer.from([0xff, 0xfe]), body.subarray(202)])];
    for (const broken of bodies) {
      const answer = async (url: string) => {
        const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: broken });
        return { status: res.status, body: Buffer.from(await res.arrayBuffer()).toString('hex') };
      };
      const expected = await answer(whole.url);
      assert.equal(expected.status, 400);
      assert.deepStrictEqual(await answer(outlining.url), expected);
      assert.deepStrictEqual(await answer(forwarding.url), expected, 'outlines for forwarding');
    }
    assert.equal(seen.size, 0, 'nothing reached the pipeline');
    assert.equal(sink.requests.length, 0, 'nothing was forwarded');
  });

  test('the components that declare it', () => {
    const components = defaultComponents();
    const decisions = components.get('exporter', 'decisions') as ExporterFactory<Record<string, unknown>>;
    assert.equal(decisions.readsDecisionSpansOnly?.({ storage: 'sqlite:x.db', store_context_spans: false }), true);
    assert.equal(decisions.readsDecisionSpansOnly?.({ storage: 'sqlite:x.db', store_context_spans: true }), false);
    assert.equal(decisions.readsDecisionSpansOnly?.({ endpoint: 'http://backend:8711' }), true);
    for (const type of ['decision', 'memory_limiter', 'batch']) assert.equal(components.get('processor', type)?.readsDecisionSpansOnly?.({}), true, type);
    for (const type of ['redaction', 'probabilistic_sampler', 'tail_sampling', 'rate_limiting']) {
      assert.notEqual(components.get('processor', type)?.readsDecisionSpansOnly?.({}), true, type);
    }
    // The otlp and otlphttp (protobuf) exporters forward received bytes and read nothing else of spans.
    assert.equal(components.get('exporter', 'otlp')?.readsDecisionSpansOnly?.({}), true);
    assert.equal(components.get('exporter', 'otlphttp')?.readsDecisionSpansOnly?.({ encoding: 'proto' }), true);
    assert.equal(components.get('exporter', 'otlphttp')?.readsDecisionSpansOnly?.({ encoding: 'json' }), false);
    // load_balancing splits batches by trace into new scopes, which an outline cannot be encoded from.
    for (const type of ['load_balancing', 'debug']) assert.notEqual(components.get('exporter', type)?.readsDecisionSpansOnly?.({}), true, type);
  });
});
