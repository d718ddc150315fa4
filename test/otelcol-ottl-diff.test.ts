import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { noteIntegralDouble, type AttributeValue, type ResourceSpans } from '@decision-trace/model';
import { encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import { eventually, launchCollector, startHttpSink, type CollectorProcess, type OtlpSink } from './delivery-sink.js';
import { freePort } from './helpers/free-port.js';
import { skipWithoutOtelcol, startOtelcol, type RunningOtelcol } from './helpers/otelcol.js';
import { generateCorpus, seededRandom, type CorpusTrace } from './helpers/sampling-corpus.js';

/**
 * Differential OTTL (#15, item 4): `ottl_condition` policies with the conditions users write —
 * span, resource, scope and span-event paths, cross-type comparisons, and/or/not, arithmetic,
 * converters, every error_mode — fed as the same YAML to the real OpenTelemetry Collector (contrib
 * v0.161.0) and to ours, over the generated corpus with span events, nested and typed attributes
 * and two scopes added. The trace ids each keeps must be identical. One pipeline per case; a
 * smaller corpus than the main differential suite, to keep the CPU cost modest.
 */

const skip = skipWithoutOtelcol();
const CORPUS = 3_000;

type Ottl = { span?: string[]; spanevent?: string[]; error_mode?: string };
const ottl = (name: string, condition: Ottl) => ({ name, type: 'ottl_condition', ottl_condition: condition });
const tail = (...policies: unknown[]) => ({ decision_wait: '1s', num_traces: 20_000, policies });

/** Each case: a tail_sampling processor of this name in both collectors. `ottl_true` keeps everything and tells when a collector is through. */
const CASES: Record<string, unknown> = {
  'tail_sampling/ottl_true': tail(ottl('all', { span: ['true'] })),
  'tail_sampling/ottl_numeric': tail(ottl('errors', { span: ['attributes["http.status_code"] >= 500'] })),
  // A double and a string where an int is usual: compared as OTTL compares them.
  'tail_sampling/ottl_cross_type': tail(
    ottl('odd', { span: ['attributes["http.status_code"] == 404.5 or attributes["http.status_code"] == "500"', 'attributes["synthetic"] == 1'] }),
  ),
  'tail_sampling/ottl_not_equal': tail(
    ottl('ne', { span: ['attributes["http.status_code"] != 200 and attributes["http.status_code"] != nil and name == "request"'] }),
  ),
  'tail_sampling/ottl_status_resource': tail(
    ottl('checkout-errors', { span: ['span.status.code == STATUS_CODE_ERROR and resource.attributes["service.name"] == "checkout"'] }),
  ),
  'tail_sampling/ottl_kind_duration': tail(
    ottl('slow-servers', { span: ['kind == SPAN_KIND_SERVER and end_time_unix_nano - start_time_unix_nano > 100000000'] }),
  ),
  'tail_sampling/ottl_durations': tail(
    ottl('slow-spans', {
      span: [
        'Milliseconds(end_time - start_time) > 100 and end_time - start_time <= Duration("0.2s")',
        'UnixSeconds(start_time) - UnixSeconds(start_time) / 7 * 7 == 3',
      ],
    }),
  ),
  'tail_sampling/ottl_times': tail(
    ottl('slow-by-time', { span: ['end_time - start_time > end_time - end_time and kind.string == "Server" and status.message == "failed"'] }),
  ),
  'tail_sampling/ottl_is_match': tail(
    ottl('goldish', { span: ['IsMatch(attributes["user.tier"], "^(?i)gold")', 'IsMatch(attributes["user.tier"], "^(7|true)$")'] }),
  ),
  'tail_sampling/ottl_types': tail(
    ottl('not-strings', { span: ['not IsString(attributes["user.tier"]) and attributes["user.tier"] != nil', 'IsDouble(attributes["latency"])'] }),
  ),
  'tail_sampling/ottl_int_math': tail(ottl('4xx', { span: ['IsInt(attributes["http.status_code"]) and attributes["http.status_code"] / 100 == 4'] })),
  'tail_sampling/ottl_conversions': tail(
    ottl('converted', {
      span: [
        'Double(attributes["http.status_code"]) > 499.5 and String(attributes["synthetic"]) == "true"',
        'Int(attributes["latency"]) == 3 and attributes["latency"] == 3',
      ],
    }),
  ),
  'tail_sampling/ottl_trace_state': tail(ottl('high', { span: ['trace_state["sampling"] == "high"', 'trace_state["ot"] == nil and flags == 0'] })),
  'tail_sampling/ottl_root': tail(ottl('real-roots', { span: ['IsRootSpan() and attributes["synthetic"] == false'] })),
  'tail_sampling/ottl_strings': tail(
    ottl('ordered', {
      span: [
        'attributes["user.tier"] > "gold" and attributes["user.tier"] < "silver"',
        'HasPrefix(resource.attributes["service.name"], "ref") and ToUpperCase(name) == "STEP 2"',
      ],
    }),
  ),
  'tail_sampling/ottl_concat_len': tail(
    ottl('concat', {
      span: [
        'Concat([resource.attributes["service.name"], name, attributes["user.tier"]], "/") == "search/request/<nil>"',
        'Len(span.events) >= 2 and Len(name) > 6',
      ],
    }),
  ),
  'tail_sampling/ottl_scope': tail(ottl('scope-b', { span: ['instrumentation_scope.name == "corpus-b" and scope.version == "2.0"'] })),
  'tail_sampling/ottl_nested': tail(
    ottl('nested', {
      span: [
        'attributes["meta"]["region"] == "eu" and attributes["tags"][0] == "a"',
        'Len(attributes["tags"]) == 3',
        'String(attributes["meta"]) == "{\\"n\\":1,\\"region\\":\\"us\\"}"',
        'IsMap(attributes["meta"]) and attributes["meta"]["n"] > 1',
      ],
    }),
  ),
  'tail_sampling/ottl_precedence': tail(
    ottl('precedence', { span: ['name != "request" and not (attributes["span.index"] < 3) or status.code == STATUS_CODE_OK and kind == 2'] }),
  ),
  'tail_sampling/ottl_events': tail(
    ottl('timeouts', {
      spanevent: [
        'name == "exception" and attributes["exception.type"] == "Timeout"',
        'IsMatch(name, "(?i)^exception$") and span.status.code == STATUS_CODE_ERROR',
      ],
    }),
  ),
  'tail_sampling/ottl_event_numbers': tail(
    ottl('retries', { spanevent: ['attributes["retry.count"] > 1 and resource.attributes["service.name"] != "search"'] }),
  ),
  'tail_sampling/ottl_span_and_events': tail(
    ottl('mixed', {
      span: ['name == "step 3"'],
      spanevent: ['spanevent.attributes["retry.count"] == 2.5 or time_unix_nano - span.start_time_unix_nano > 500'],
    }),
  ),
  'tail_sampling/ottl_string_like': tail(
    ottl('string-like', {
      span: ['IsMatch(attributes["http.status_code"], "\\\\.5$")', 'String(attributes["tags"]) == "[\\"b\\",\\"a\\",\\"c\\"]"'],
      spanevent: ['IsMatch(attributes["exception.type"], "^7$")'],
    }),
  ),
  'tail_sampling/ottl_int_like': tail(
    ottl('int-like', {
      span: ['Int(attributes["http.status_code"]) == 404 or Int(attributes["http.status_code"]) == 500 and IsString(attributes["http.status_code"])'],
    }),
  ),
  'tail_sampling/ottl_bool_like': tail(
    ottl('bool-like', {
      span: [
        'Bool(attributes["synthetic"]) and not IsBool(attributes["synthetic"])',
        'Double(attributes["synthetic"]) == 1.0 and IsInt(attributes["synthetic"])',
      ],
    }),
  ),
  'tail_sampling/ottl_case': tail(ottl('case', { span: ['ToLowerCase(attributes["user.tier"]) == "gold" and attributes["user.tier"] != "gold"'] })),
  'tail_sampling/ottl_ids': tail(
    ottl('ids', {
      span: ['parent_span_id.string == "0000000000000000" and kind.deprecated_string == "SPAN_KIND_SERVER" and IsMatch(trace_id.string, "^[0-7]")'],
    }),
  ),
  'tail_sampling/ottl_float_math': tail(ottl('float-math', { span: ['attributes["http.status_code"] / 2 > 250', '-attributes["span.index"] < -4'] })),
  'tail_sampling/ottl_empty_and_len': tail(
    ottl('empty', { span: ['Len(attributes["tags"]) == 0', 'Len(attributes["meta"]) == 2 and String(attributes["latency"]) == "3"'] }),
  ),
  'tail_sampling/ottl_event_times': tail(
    ottl('event-times', {
      spanevent: [
        'spanevent.time > span.end_time and span.kind == SPAN_KIND_INTERNAL',
        'Len(attributes["tags"]) > 1 and instrumentation_scope.name == "corpus"',
      ],
    }),
  ),
  // Conditions that fail on some spans (Len of an int or bool tier; an index past a short list).
  'tail_sampling/ottl_error_ignore': tail(
    ottl('ignore', { error_mode: 'ignore', span: ['Len(attributes["user.tier"]) > 5', 'attributes["synthetic"] == true'] }),
  ),
  'tail_sampling/ottl_error_silent': tail(ottl('silent', { error_mode: 'silent', span: ['attributes["tags"][2] == "c"', 'attributes["synthetic"] == true'] })),
  'tail_sampling/ottl_error_default': tail(ottl('unset', { span: ['Len(attributes["user.tier"]) > 5', 'attributes["synthetic"] == true'] })),
  // propagate: the first failure makes the policy an error for the trace, left out of the decision.
  'tail_sampling/ottl_error_propagate': tail(
    ottl('propagate', { error_mode: 'propagate', span: ['Len(attributes["user.tier"]) > 5', 'attributes["synthetic"] == true'] }),
    { name: 'errors', type: 'status_code', status_code: { status_codes: ['ERROR'] } },
  ),
  'tail_sampling/ottl_error_propagate_not': tail({
    name: 'not',
    type: 'not',
    not: { not_sub_policy: ottl('propagate', { error_mode: 'PROPAGATE', spanevent: ['attributes["tags"][1] == "b"', 'name == "retry"'] }) },
  }),
  'tail_sampling/ottl_and_latency': tail({
    name: 'gold-and-slow',
    type: 'and',
    and: { and_sub_policy: [ottl('gold', { span: ['attributes["user.tier"] == "gold"'] }), { name: 'slow', type: 'latency', latency: { threshold_ms: 100 } }] },
  }),
  'tail_sampling/ottl_drop': tail(
    { name: 'all', type: 'always_sample' },
    {
      name: 'drop-synthetic',
      type: 'drop',
      drop: { drop_sub_policy: [ottl('synthetic', { span: ['attributes["synthetic"] == true or attributes["synthetic"] == "true"'] })] },
    },
  ),
};

/**
 * The corpus of the main differential suite, plus (from a second fixed seed) span events with
 * typed attributes, list and map attributes, integral doubles, and a second scope.
 */
function ottlCorpus(): CorpusTrace[] {
  const corpus = generateCorpus(CORPUS, 0x07715);
  const random = seededRandom(0x0e7e47);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const eventNames = ['exception', 'retry', 'Exception', 'cache.miss'];
  const exceptionTypes: AttributeValue[] = ['Timeout', 'IOError', 'timeout', 7];
  const retries: AttributeValue[] = [0, 1, 2, '3', 2.5];
  for (const trace of corpus) {
    if (random() < 0.3) {
      const scope = { name: 'corpus-b', version: pick(['2.0', '2.1']), attributes: {}, droppedAttributesCount: 0 };
      for (const rs of trace.resourceSpans) for (const ss of rs.scopeSpans) ss.scope = scope;
    }
    for (const rs of trace.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          if (random() < 0.15) span.attributes.tags = pick([['a'], ['a', 'b'], ['b', 'a', 'c'], []]);
          if (random() < 0.15) {
            const meta: Record<string, AttributeValue> = { region: pick(['eu', 'us']), n: pick([1, 2]) };
            if (random() < 0.5) noteIntegralDouble(meta, 'n', true);
            span.attributes.meta = meta;
          }
          if (random() < 0.1) {
            span.attributes.latency = 3;
            if (random() < 0.5) noteIntegralDouble(span.attributes, 'latency', true);
          }
          const events = random() < 0.35 ? 1 + Math.floor(random() * 2) : 0;
          for (let e = 0; e < events; e++) {
            const attributes: Record<string, AttributeValue> = {};
            if (random() < 0.7) attributes['exception.type'] = pick(exceptionTypes);
            if (random() < 0.5) attributes['retry.count'] = pick(retries);
            if (random() < 0.2) attributes.tags = pick([['a'], ['a', 'b']]);
            span.events.push({
              timeUnixNano: span.startTimeUnixNano + BigInt(Math.floor(random() * 1000)),
              name: pick(eventNames),
              attributes,
              droppedAttributesCount: 0,
            });
          }
        }
      }
    }
  }
  return corpus;
}

const caseKey = (name: string) => name.replace('/', '-');

function config(receiverPort: number, sinkUrl: string, who: string): Record<string, unknown> {
  const exporters: Record<string, unknown> = {};
  const pipelines: Record<string, unknown> = {};
  for (const name of Object.keys(CASES)) {
    exporters[`otlphttp/${caseKey(name)}`] = {
      traces_endpoint: `${sinkUrl}/${who}/${caseKey(name)}/v1/traces`,
      retry_on_failure: { initial_interval: '100ms' },
      sending_queue: { queue_size: 100_000 },
    };
    pipelines[`traces/${caseKey(name)}`] = { receivers: ['otlp'], processors: [name], exporters: [`otlphttp/${caseKey(name)}`] };
  }
  return { receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${receiverPort}` } } } }, processors: CASES, exporters, service: { pipelines } };
}

function keptAt(sink: OtlpSink, path: string): Set<string> {
  const kept = new Set<string>();
  for (const request of sink.requests) {
    if (request.path !== path) continue;
    for (const rs of request.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) kept.add(span.traceId);
  }
  return kept;
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

describe('OTTL conditions: the OpenTelemetry Collector and ours keep the same traces', { skip }, () => {
  let sink: OtlpSink;
  let otelcol: RunningOtelcol | undefined;
  let ours: CollectorProcess | undefined;
  const byId = new Map<string, CorpusTrace>();

  before(async () => {
    const corpus = ottlCorpus();
    for (const trace of corpus) byId.set(trace.traceId, trace);
    sink = await startHttpSink();
    const ports = { otelcol: await freePort(), ours: await freePort(), health: await freePort(), metrics: await freePort() };
    otelcol = await startOtelcol(config(ports.otelcol, sink.url, 'otelcol'));
    const oursConfig = config(ports.ours, sink.url, 'ours');
    oursConfig.extensions = { health_check: { endpoint: `127.0.0.1:${ports.health}` } };
    const service = oursConfig.service as Record<string, unknown>;
    service.extensions = ['health_check'];
    service.telemetry = { logs: { level: 'error' }, metrics: { address: `127.0.0.1:${ports.metrics}` } };
    const file = join(mkdtempSync(join(tmpdir(), 'dt-ottl-diff-')), 'collector-config.yaml');
    writeFileSync(file, stringify(oursConfig));
    ours = await launchCollector(file, `http://127.0.0.1:${ports.health}/`);

    const targets = [`http://127.0.0.1:${ports.otelcol}`, `http://127.0.0.1:${ports.ours}`];
    for (let i = 0; i < corpus.length; i += 100) {
      const resourceSpans = corpus.slice(i, i + 100).flatMap((trace) => trace.resourceSpans);
      await Promise.all(targets.map((url) => post(url, resourceSpans)));
    }
    // `ottl_true` keeps every trace: a collector is through when that pipeline delivered the corpus.
    const complete = (who: string) => keptAt(sink, `/${who}/${caseKey('tail_sampling/ottl_true')}/v1/traces`).size === CORPUS;
    await eventually(() => complete('otelcol') && complete('ours'), 120_000, 1_000);
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
    return `${traceId} ${JSON.stringify(trace.resourceSpans, (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)).slice(0, 2000)}`;
  };

  for (const name of Object.keys(CASES)) {
    test(`${name}: the same traces kept`, () => {
      const theirs = keptAt(sink, `/otelcol/${caseKey(name)}/v1/traces`);
      const mine = keptAt(sink, `/ours/${caseKey(name)}/v1/traces`);
      // Every case must discriminate: it keeps some traces, and (but for ottl_true) not all.
      assert.ok(theirs.size > 0, `otelcol kept nothing for ${name}:\n${otelcol?.logs().slice(-2000)}`);
      if (name !== 'tail_sampling/ottl_true') assert.ok(theirs.size < CORPUS, `otelcol kept every trace for ${name}`);
      const onlyOtelcol = [...theirs].filter((id) => !mine.has(id));
      const onlyOurs = [...mine].filter((id) => !theirs.has(id));
      assert.deepEqual(
        { onlyOtelcol: onlyOtelcol.slice(0, 2).map(describeTrace), onlyOurs: onlyOurs.slice(0, 2).map(describeTrace) },
        { onlyOtelcol: [], onlyOurs: [] },
        `${name}: otelcol kept ${theirs.size}, ours ${mine.size}; ${onlyOtelcol.length} only by otelcol, ${onlyOurs.length} only by ours`,
      );
    });
  }
});
