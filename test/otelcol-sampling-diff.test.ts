import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ResourceSpans, Span } from '@decision-trace/model';
import { eventually, launchCollector, startHttpSink, type CollectorProcess, type OtlpSink } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';
import { skipWithoutOtelcol, startOtelcol, type RunningOtelcol } from './helpers/otelcol.js';
import { generateCorpus, type CorpusTrace } from './helpers/sampling-corpus.js';

/**
 * Differential sampling (#15, item 3): the real OpenTelemetry Collector (contrib v0.161.0) and
 * ours get the same generated corpus and the SAME processors block (one pipeline per case, each
 * exporting through otlphttp to its own path on one OTLP sink). The trace ids each keeps must be
 * identical; for probabilistic_sampler also the spans kept and the tracestate (`ot=th:…`) each
 * forwards. Only rate_limiting and bytes_limiting depend on time; see LIMITED below for their
 * tolerance.
 */

const skip = skipWithoutOtelcol();
const CORPUS = 10_000;
/** Traces sent one per request, in order, to the rate- and bytes-limited pipelines. */
const LIMITED = 400;

const tail = (policies: unknown[], extra: Record<string, unknown> = {}) => ({ decision_wait: '1s', num_traces: 60_000, ...extra, policies });

/** Every case: a processor of the same name in both collectors, on the corpus. */
const CORPUS_CASES: Record<string, unknown> = {
  'tail_sampling/always': tail([{ name: 'all', type: 'always_sample' }]),
  'tail_sampling/latency': tail([{ name: 'slow', type: 'latency', latency: { threshold_ms: 100 } }]),
  'tail_sampling/latency_band': tail([{ name: 'band', type: 'latency', latency: { threshold_ms: 50, upper_threshold_ms: 200 } }]),
  'tail_sampling/numeric': tail([
    { name: 'http-errors', type: 'numeric_attribute', numeric_attribute: { key: 'http.status_code', min_value: 400, max_value: 599 } },
  ]),
  'tail_sampling/numeric_low': tail([{ name: 'below-300', type: 'numeric_attribute', numeric_attribute: { key: 'http.status_code', max_value: 300 } }]),
  'tail_sampling/numeric_invert': tail([
    { name: 'not-errors', type: 'numeric_attribute', numeric_attribute: { key: 'http.status_code', min_value: 400, max_value: 599, invert_match: true } },
  ]),
  'tail_sampling/probabilistic': tail([{ name: 'third', type: 'probabilistic', probabilistic: { hash_salt: 'differential', sampling_percentage: 33.3 } }]),
  'tail_sampling/probabilistic_default_salt': tail([{ name: 'tenth', type: 'probabilistic', probabilistic: { sampling_percentage: 10 } }]),
  'tail_sampling/status_code': tail([{ name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } }]),
  'tail_sampling/status_code_ok_unset': tail([{ name: 'fine', type: 'status_code', status_code: { status_codes: ['OK', 'UNSET'] } }]),
  'tail_sampling/string': tail([{ name: 'tiers', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['gold', 'silver', ''] } }]),
  'tail_sampling/string_regex': tail([
    {
      name: 'goldish',
      type: 'string_attribute',
      string_attribute: { key: 'user.tier', values: ['^gold', 'plat.*um$', '^$'], enabled_regex_matching: true, cache_max_size: 4 },
    },
  ]),
  'tail_sampling/string_invert': tail([
    { name: 'not-cheap', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['silver', 'bronze'], invert_match: true } },
  ]),
  'tail_sampling/span_count': tail([{ name: 'mid', type: 'span_count', span_count: { min_spans: 2, max_spans: 4 } }]),
  'tail_sampling/span_count_min': tail([{ name: 'big', type: 'span_count', span_count: { min_spans: 5 } }]),
  'tail_sampling/trace_state': tail([{ name: 'high', type: 'trace_state', trace_state: { key: 'sampling', values: ['high'] } }]),
  'tail_sampling/boolean': tail([{ name: 'real', type: 'boolean_attribute', boolean_attribute: { key: 'synthetic', value: false } }]),
  'tail_sampling/boolean_invert': tail([
    { name: 'not-synthetic', type: 'boolean_attribute', boolean_attribute: { key: 'synthetic', value: true, invert_match: true } },
  ]),
  'tail_sampling/and': tail([
    {
      name: 'slow-errors',
      type: 'and',
      and: {
        and_sub_policy: [
          { name: 'slow', type: 'latency', latency: { threshold_ms: 100 } },
          { name: 'err', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          { name: 'not-silver', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['silver'], invert_match: true } },
        ],
      },
    },
  ]),
  // drop first whatever the order; an inverted match among ordinary policies.
  'tail_sampling/mixed': tail([
    { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
    { name: 'not-bronze', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['bronze'], invert_match: true } },
    { name: 'tenth', type: 'probabilistic', probabilistic: { hash_salt: 'mixed', sampling_percentage: 10 } },
    {
      name: 'no-synthetic',
      type: 'drop',
      drop: { drop_sub_policy: [{ name: 'synthetic', type: 'boolean_attribute', boolean_attribute: { key: 'synthetic', value: true } }] },
    },
  ]),
  'tail_sampling/first_match': tail(
    [
      { name: 'not-gold', type: 'string_attribute', string_attribute: { key: 'user.tier', values: ['gold'], invert_match: true } },
      { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
      { name: 'small', type: 'span_count', span_count: { min_spans: 1, max_spans: 2 } },
    ],
    { sample_on_first_match: true },
  ),
  // Budgets far above the traffic, except the member without a rate_allocation entry (0 spans/s).
  'tail_sampling/composite': tail([
    {
      name: 'composite',
      type: 'composite',
      composite: {
        max_total_spans_per_second: 10_000_000,
        policy_order: ['unbudgeted', 'errors', 'slow', 'sample'],
        composite_sub_policy: [
          { name: 'unbudgeted', type: 'trace_state', trace_state: { key: 'sampling', values: ['high'] } },
          { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
          {
            name: 'slow',
            type: 'and',
            and: {
              and_sub_policy: [
                { name: 'slow', type: 'latency', latency: { threshold_ms: 100 } },
                { name: 'big', type: 'span_count', span_count: { min_spans: 3 } },
              ],
            },
          },
          { name: 'sample', type: 'probabilistic', probabilistic: { hash_salt: 'composite', sampling_percentage: 20 } },
        ],
        rate_allocation: [
          { policy: 'errors', percent: 50 },
          { policy: 'slow', percent: 0 },
          { policy: 'sample', percent: 25 },
        ],
      },
    },
  ]),
  'probabilistic_sampler/hash_seed': { mode: 'hash_seed', hash_seed: 4242, sampling_percentage: 30 },
  'probabilistic_sampler/proportional': { mode: 'proportional', sampling_percentage: 25 },
  'probabilistic_sampler/equalizing': { mode: 'equalizing', sampling_percentage: 10, sampling_precision: 6 },
  'probabilistic_sampler/fail_open': { mode: 'proportional', sampling_percentage: 50, fail_closed: false },
};

/**
 * Rate- and bytes-limited cases, fed one trace per request in corpus order. The refill rate is
 * 1 unit/s, so what each keeps is decided by the burst: the traces are admitted greedily in
 * arrival order until the bucket is empty. Tolerance: the refill while the stream runs (at most
 * its duration in seconds, 1 span or byte per second) can admit a few more late small traces in
 * one collector than the other, because the two decide each trace at a slightly different
 * instant. Allowed: as many differing traces as the stream lasted seconds (+2), and none before
 * the bucket first ran dry.
 */
const LIMITED_CASES: Record<string, unknown> = {
  'tail_sampling/rate_limiting': tail([{ name: 'rate', type: 'rate_limiting', rate_limiting: { spans_per_second: 1, burst_capacity: 600 } }]),
  'tail_sampling/bytes_limiting': tail([{ name: 'bytes', type: 'bytes_limiting', bytes_limiting: { bytes_per_second: 1, burst_capacity: 60_000 } }]),
};

interface Kept {
  traces: Set<string>;
  /** span id → tracestate as forwarded. */
  spans: Map<string, string>;
}

function keptAt(sink: OtlpSink, path: string): Kept {
  const kept: Kept = { traces: new Set(), spans: new Map() };
  for (const request of sink.requests) {
    if (request.path !== path) continue;
    for (const rs of request.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          kept.traces.add(span.traceId);
          kept.spans.set(span.spanId, span.traceState);
        }
      }
    }
  }
  return kept;
}

const caseKey = (name: string) => name.replace('/', '-');

function config(receivers: Record<string, unknown>, sinkUrl: string, who: string, cases: Record<string, string[]>): Record<string, unknown> {
  const processors = { ...CORPUS_CASES, ...LIMITED_CASES };
  const exporters: Record<string, unknown> = {};
  const pipelines: Record<string, unknown> = {};
  for (const [receiver, names] of Object.entries(cases)) {
    for (const name of names) {
      exporters[`otlphttp/${caseKey(name)}`] = {
        traces_endpoint: `${sinkUrl}/${who}/${caseKey(name)}/v1/traces`,
        retry_on_failure: { initial_interval: '100ms' },
        // otelcol's tail_sampling hands each kept trace on as its own request: room for all of them.
        sending_queue: { queue_size: 100_000 },
      };
      pipelines[`traces/${caseKey(name)}`] = { receivers: [receiver], processors: [name], exporters: [`otlphttp/${caseKey(name)}`] };
    }
  }
  return { receivers, processors, exporters, service: { pipelines } };
}

async function post(url: string, resourceSpans: ResourceSpans[]): Promise<void> {
  const res = await fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Buffer.from(encodeTraceRequestProtobuf(resourceSpans)),
  });
  await res.arrayBuffer();
  assert.equal(res.status, 200, `${url} answered ${res.status}`);
}

describe('sampling verdicts: the OpenTelemetry Collector and ours on the same corpus and config', { skip }, () => {
  let sink: OtlpSink;
  let otelcol: RunningOtelcol | undefined;
  let ours: CollectorProcess | undefined;
  let corpus: CorpusTrace[];
  const byId = new Map<string, CorpusTrace>();
  const spanById = new Map<string, Span>();
  let limitedSeconds = 0;

  before(async () => {
    corpus = generateCorpus(CORPUS);
    for (const trace of corpus) {
      byId.set(trace.traceId, trace);
      for (const rs of trace.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) spanById.set(span.spanId, span);
    }
    sink = await startHttpSink();
    const ports = {
      otelcol: await freePort(),
      otelcolLimited: await freePort(),
      ours: await freePort(),
      oursLimited: await freePort(),
      health: await freePort(),
    };
    const cases = { otlp: Object.keys(CORPUS_CASES), 'otlp/limited': Object.keys(LIMITED_CASES) };
    const http = (port: number) => ({ protocols: { http: { endpoint: `127.0.0.1:${port}` } } });

    otelcol = await startOtelcol(config({ otlp: http(ports.otelcol), 'otlp/limited': http(ports.otelcolLimited) }, sink.url, 'otelcol', cases));

    const oursConfig = config({ otlp: http(ports.ours), 'otlp/limited': http(ports.oursLimited) }, sink.url, 'ours', cases);
    const service = oursConfig.service as Record<string, unknown>;
    oursConfig.extensions = { health_check: { endpoint: `127.0.0.1:${ports.health}` } };
    service.extensions = ['health_check'];
    service.telemetry = { logs: { level: 'warn' }, metrics: { address: `127.0.0.1:${await freePort()}` } };
    const dir = mkdtempSync(join(tmpdir(), 'dt-sampling-diff-'));
    const file = join(dir, 'collector-config.yaml');
    writeFileSync(file, stringify(oursConfig));
    ours = await launchCollector(file, `http://127.0.0.1:${ports.health}/`);

    const targets = [`http://127.0.0.1:${ports.otelcol}`, `http://127.0.0.1:${ports.ours}`];
    const limitedTargets = [`http://127.0.0.1:${ports.otelcolLimited}`, `http://127.0.0.1:${ports.oursLimited}`];
    // The corpus in requests of 100 traces (each trace whole in one request), both at once.
    const sending = (async () => {
      for (let i = 0; i < corpus.length; i += 100) {
        const resourceSpans = corpus.slice(i, i + 100).flatMap((trace) => trace.resourceSpans);
        await Promise.all(targets.map((url) => post(url, resourceSpans)));
      }
    })();
    // The limited stream: one trace per request, in order, so both decide in the same order.
    const limited = (async () => {
      const started = Date.now();
      for (const trace of corpus.slice(0, LIMITED)) await Promise.all(limitedTargets.map((url) => post(url, trace.resourceSpans)));
      limitedSeconds = (Date.now() - started) / 1000;
    })();
    await Promise.all([sending, limited]);
    // Decisions fall 1–2 s after arrival. always_sample keeps every trace, so each collector is
    // through the corpus when its always pipeline has delivered all of it; then both are
    // stopped, which drains what their exporters still hold, before anything is compared.
    const complete = (who: string) => keptAt(sink, `/${who}/${caseKey('tail_sampling/always')}/v1/traces`).traces.size === CORPUS;
    await eventually(() => complete('otelcol') && complete('ours'), 240_000, 1_000);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await ours!.stop();
    await otelcol!.stop();
  });

  after(async () => {
    await ours?.stop();
    await otelcol?.stop();
    await sink?.close();
  });

  const describeTrace = (traceId: string) => {
    const trace = byId.get(traceId);
    if (!trace) return `${traceId} (not in the corpus)`;
    return `${traceId} ${JSON.stringify(trace.resourceSpans, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)).slice(0, 1500)}`;
  };

  function compareTraces(name: string): { otelcol: Kept; ours: Kept; onlyOtelcol: string[]; onlyOurs: string[] } {
    const theirs = keptAt(sink, `/otelcol/${caseKey(name)}/v1/traces`);
    const mine = keptAt(sink, `/ours/${caseKey(name)}/v1/traces`);
    const onlyOtelcol = [...theirs.traces].filter((id) => !mine.traces.has(id));
    const onlyOurs = [...mine.traces].filter((id) => !theirs.traces.has(id));
    return { otelcol: theirs, ours: mine, onlyOtelcol, onlyOurs };
  }

  for (const name of Object.keys(CORPUS_CASES).filter((n) => n.startsWith('tail_sampling/'))) {
    test(`${name}: the same traces kept`, () => {
      const { otelcol: theirs, ours: mine, onlyOtelcol, onlyOurs } = compareTraces(name);
      assert.ok(theirs.traces.size > 0, `otelcol kept nothing for ${name}:\n${otelcol?.logs().slice(-2000)}`);
      assert.deepEqual(
        { onlyOtelcol: onlyOtelcol.slice(0, 3).map(describeTrace), onlyOurs: onlyOurs.slice(0, 3).map(describeTrace) },
        { onlyOtelcol: [], onlyOurs: [] },
        `${name}: otelcol kept ${theirs.traces.size}, ours ${mine.traces.size}; ${onlyOtelcol.length} only by otelcol, ${onlyOurs.length} only by ours`,
      );
    });
  }

  for (const name of Object.keys(CORPUS_CASES).filter((n) => n.startsWith('probabilistic_sampler/'))) {
    test(`${name}: the same spans kept, each with the same tracestate`, () => {
      const { otelcol: theirs, ours: mine } = compareTraces(name);
      assert.ok(theirs.spans.size > 0, `otelcol kept nothing for ${name}:\n${otelcol?.logs().slice(-2000)}`);
      // Per span (the processor decides span by span): kept by both or neither, and forwarded
      // with the same tracestate (the `th` written, `rv` kept).
      const ids = new Set([...theirs.spans.keys(), ...mine.spans.keys()]);
      const differing = [...ids].filter((spanId) => theirs.spans.get(spanId) !== mine.spans.get(spanId));
      assert.deepEqual(
        differing.slice(0, 8).map((spanId) => {
          const span = spanById.get(spanId);
          return {
            in: span?.traceState,
            attributes: span?.attributes,
            otelcol: theirs.spans.get(spanId) ?? 'dropped',
            ours: mine.spans.get(spanId) ?? 'dropped',
          };
        }),
        [],
        `${name}: ${differing.length} spans differ (otelcol kept ${theirs.spans.size}, ours ${mine.spans.size})`,
      );
    });
  }

  for (const name of Object.keys(LIMITED_CASES)) {
    test(`${name}: the same traces kept, up to the refill tolerance`, () => {
      const { otelcol: theirs, ours: mine, onlyOtelcol, onlyOurs } = compareTraces(name);
      const order = corpus.slice(0, LIMITED).map((trace) => trace.traceId);
      // Where either collector's bucket first ran dry: before it both must agree exactly.
      const firstRefused = Math.min(...[theirs, mine].map((kept) => order.findIndex((id) => !kept.traces.has(id))));
      assert.ok(
        firstRefused > 0 && theirs.traces.size < LIMITED && mine.traces.size < LIMITED,
        `the burst must run out within the stream (otelcol kept ${theirs.traces.size}, ours ${mine.traces.size})`,
      );
      const differing = [...onlyOtelcol, ...onlyOurs];
      const tolerance = Math.ceil(limitedSeconds) + 2;
      assert.ok(
        differing.length <= tolerance && differing.every((id) => order.indexOf(id) >= firstRefused),
        `${name}: otelcol kept ${theirs.traces.size}, ours ${mine.traces.size}; bucket first dry at #${firstRefused}; ` +
          `${differing.length} differ (tolerance ${tolerance} for ${limitedSeconds.toFixed(1)} s), at #${differing.map((id) => order.indexOf(id)).join(', #')}: ` +
          differing.slice(0, 3).map(describeTrace).join('\n'),
      );
    });
  }
});
