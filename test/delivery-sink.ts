// Test doubles for the delivery tests: OTLP sinks (HTTP and gRPC) that record what they
// receive and can be told to fail, and a launcher for collector processes with fixed ports.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { Server as GrpcServer, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { decodeTraceRequestJson, decodeTraceRequestProtobuf, encodeTraceRequestProtobuf } from '@decision-trace/otlp';
import type { ResourceSpans, Span } from '@decision-trace/model';
import { CLI, NODE_TS, REPO_ROOT } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { makeSpan } from '@decision-trace/model/testing';

export interface ReceivedRequest {
  /** The URL path (HTTP) or method path (gRPC). */
  path: string;
  headers: IncomingHttpHeaders | Record<string, string>;
  contentType: string;
  /** Decompressed body as sent on the wire (protobuf bytes or JSON text). */
  body: Buffer;
  resourceSpans: ResourceSpans[];
}

export interface SinkFailure {
  /** HTTP status (or gRPC code for a gRPC sink) answered while failing. */
  status: number;
  retryAfter?: string;
}

export interface OtlpSink {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  /** How many times each span id arrived. */
  spanArrivals: Map<string, number>;
  /** Attempts answered with a failure. */
  refusedAttempts: number;
  failWith(failure: SinkFailure | undefined): void;
  /**
   * Requests that arrive from now on wait unanswered (a slow destination, so the sender's
   * requests queue up behind them) until the function returned is called.
   */
  hold(): () => void;
  /** Requests arrived and waiting for `hold`'s release. */
  readonly held: number;
  close(): Promise<void>;
}

function recordSpans(sink: OtlpSink, resourceSpans: ResourceSpans[]): void {
  for (const rs of resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) sink.spanArrivals.set(span.spanId, (sink.spanArrivals.get(span.spanId) ?? 0) + 1);
    }
  }
}

/**
 * What the HTTP and gRPC sinks share: the record of what arrived, the failure to answer with, and
 * the requests held unanswered. `answer` runs an arrived request's answer now, or after `hold`'s release.
 */
function sinkBase(close: () => Promise<void>): { sink: OtlpSink; failure: () => SinkFailure | undefined; answer: (reply: () => void) => void } {
  let failure: SinkFailure | undefined;
  let held: Array<() => void> | undefined;
  const release = () => {
    const waiting = held ?? [];
    held = undefined;
    for (const answer of waiting.splice(0)) answer();
  };
  const sink: OtlpSink = {
    url: '',
    port: 0,
    requests: [],
    spanArrivals: new Map(),
    refusedAttempts: 0,
    failWith(next) {
      failure = next;
    },
    hold() {
      const waiting: Array<() => void> = (held = []);
      return () => {
        if (held === waiting) held = undefined;
        for (const answer of waiting.splice(0)) answer();
      };
    },
    get held() {
      return held?.length ?? 0;
    },
    // Requests still held are answered first: a gRPC server's shutdown waits for its calls.
    close: () => {
      release();
      return close();
    },
  };
  return { sink, failure: () => failure, answer: (reply) => (held ? held.push(reply) : reply()) };
}

/** An OTLP/HTTP endpoint at /v1/traces (protobuf or JSON, gzip or not). */
export async function startHttpSink(port = 0): Promise<OtlpSink> {
  const { sink, failure: currentFailure, answer: answerWhenReleased } = sinkBase(() => closeHttp(server));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answerWhenReleased(answer));
    const answer = () => {
      const failure = currentFailure();
      if (failure) {
        sink.refusedAttempts += 1;
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        if (failure.retryAfter !== undefined) headers['Retry-After'] = failure.retryAfter;
        res.writeHead(failure.status, headers).end(JSON.stringify({ code: 14, message: 'sink is failing on purpose' }));
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const contentType = String(req.headers['content-type'] ?? '');
      const json = contentType.startsWith('application/json');
      const decoded = json ? decodeTraceRequestJson(body) : decodeTraceRequestProtobuf(body);
      sink.requests.push({ path: req.url ?? '', headers: req.headers, contentType, body, resourceSpans: decoded.resourceSpans });
      recordSpans(sink, decoded.resourceSpans);
      res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : Buffer.alloc(0));
    };
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  sink.port = typeof address === 'object' && address ? address.port : 0;
  sink.url = `http://127.0.0.1:${sink.port}`;
  return sink;
}

/** An OTLP/gRPC TraceService on loopback (plaintext). `failWith.status` is a gRPC code. */
export async function startGrpcSink(): Promise<OtlpSink> {
  const server = new GrpcServer();
  const { sink, failure: currentFailure, answer: answerWhenReleased } = sinkBase(() => new Promise((resolve) => server.tryShutdown(() => resolve())));
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: Buffer) => v,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (v: Buffer) => v,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) =>
        answerWhenReleased(() => {
          const failure = currentFailure();
          if (failure) {
            sink.refusedAttempts += 1;
            callback({ code: failure.status, details: 'sink is failing on purpose' });
            return;
          }
          const decoded = decodeTraceRequestProtobuf(call.request);
          sink.requests.push({
            path: call.getPath(),
            headers: call.metadata.getMap() as Record<string, string>,
            contentType: 'application/grpc',
            body: call.request,
            resourceSpans: decoded.resourceSpans,
          });
          recordSpans(sink, decoded.resourceSpans);
          callback(null, Buffer.alloc(0));
        }),
    },
  );
  sink.port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
  );
  sink.url = `127.0.0.1:${sink.port}`;
  return sink;
}

function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Where a collector under test listens: its OTLP/HTTP receiver, health_check and own metrics, each on a free port. */
export interface CollectorEndpoints {
  otlpPort: number;
  healthPort: number;
  metricsPort: number;
  otlpUrl: string;
  healthUrl: string;
  metricsUrl: string;
}

export async function collectorEndpoints(): Promise<CollectorEndpoints> {
  const [otlpPort, healthPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  return {
    otlpPort,
    healthPort,
    metricsPort,
    otlpUrl: `http://127.0.0.1:${otlpPort}`,
    healthUrl: `http://127.0.0.1:${healthPort}/`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

export interface CollectorConfigParts {
  /** Top-level sections besides receivers and extensions (processors, exporters, connectors), as YAML. */
  components: string;
  /** The entries under `service.pipelines`, as YAML indented by four spaces. */
  pipelines: string;
  /** More keys of `service` (e.g. `shutdown_timeout: 1s`), indented by two spaces. */
  service?: string;
  /** Serve the collector's own metrics at `endpoints.metricsUrl` (else `level: none`). */
  metrics?: boolean;
  /** The collector's log level; `error` unless a test reads its warnings. */
  logLevel?: 'warn' | 'info';
}

/**
 * The config of a collector under test: the OTLP/HTTP receiver and health_check at `endpoints`,
 * error logs unless told otherwise, and the test's own components and pipelines.
 */
export function collectorConfig(endpoints: CollectorEndpoints, parts: CollectorConfigParts): string {
  return `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${endpoints.otlpPort}
${endLine(parts.components)}extensions:
  health_check:
    endpoint: 127.0.0.1:${endpoints.healthPort}
service:
  extensions: [health_check]
${parts.service ? endLine(parts.service) : ''}  pipelines:
${endLine(parts.pipelines)}  telemetry:
    logs:
      level: ${parts.logLevel ?? 'error'}
    metrics:
${parts.metrics ? `      address: 127.0.0.1:${endpoints.metricsPort}` : '      level: none'}
`;
}

function endLine(yaml: string): string {
  return yaml.endsWith('\n') ? yaml : `${yaml}\n`;
}

/** Writes `collectorConfig` to `file` and starts a collector with it, ready once its health_check answers. */
export function launchTestCollector(file: string, endpoints: CollectorEndpoints, parts: CollectorConfigParts): Promise<CollectorProcess> {
  writeFileSync(file, collectorConfig(endpoints, parts));
  return launchCollector(file, endpoints.healthUrl);
}

export interface CollectorProcess {
  process: ChildProcess;
  logs(): string;
  exited: Promise<number | null>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to flush anything. */
  kill9(): Promise<void>;
}

/**
 * Starts `decision-trace start` with the given config and waits until `readyUrl` answers
 * (any HTTP status whose JSON says the pipelines run, or a 200).
 */
export async function launchCollector(configFile: string, readyUrl: string, timeoutMs = 60_000): Promise<CollectorProcess> {
  const child = spawn(process.execPath, [...NODE_TS, CLI, 'start', '--config', configFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(readyUrl)
      .then(async (res) => res.ok || ((await res.json().catch(() => ({}))) as { phase?: string }).phase === 'running')
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector did not start in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    process: child,
    logs: () => output,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls until `check` is true or the time is up; returns whether it became true. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Reads one series from Prometheus text, e.g. metric(text, 'otelcol_exporter_sent_spans_total', {exporter: 'otlphttp'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]] = pair[2];
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

export interface TrafficRequest {
  body: Buffer;
  spanIds: string[];
  /** Ids of the decision records the request's decision spans become. */
  decisionIds: string[];
}

let trafficSerial = 0;

/**
 * One OTLP/HTTP protobuf request: a trace of `spans` spans under one service, the first
 * `decisions` of them decision spans (decision.* attributes), every id fresh.
 */
export function makeTraffic(spans: number, decisions: number, service = 'delivery-test'): TrafficRequest {
  const serial = ++trafficSerial;
  const traceId = randomHex(16);
  const start = BigInt(Date.now()) * 1_000_000n;
  const spanIds: string[] = [];
  const decisionIds: string[] = [];
  const list: Span[] = [];
  for (let i = 0; i < spans; i++) {
    const spanId = randomHex(8);
    spanIds.push(spanId);
    const attributes: Record<string, string | number> = { 'request.serial': serial, 'span.index': i };
    if (i < decisions) {
      attributes['decision.type'] = 'refund.approve.v2';
      attributes['decision.outcome'] = i % 2 === 0 ? 'approved' : 'denied';
      attributes['decision.tenant_id'] = 'acme';
      decisionIds.push(`${traceId}-${spanId}`);
    }
    list.push(
      makeSpan({
        traceId,
        spanId,
        parentSpanId: i === 0 ? '' : spanIds[0],
        name: i < decisions ? 'refund.decide' : `step ${i}`,
        startTimeUnixNano: start + BigInt(i) * 1000n,
        endTimeUnixNano: start + BigInt(i) * 1000n + 500n,
        attributes,
      }),
    );
  }
  const resourceSpans: ResourceSpans[] = [
    {
      resource: { attributes: { 'service.name': service }, droppedAttributesCount: 0 },
      scopeSpans: [{ scope: { name: 'delivery-test', version: '1', attributes: {}, droppedAttributesCount: 0 }, spans: list, schemaUrl: '' }],
      schemaUrl: '',
    },
  ];
  return { body: Buffer.from(encodeTraceRequestProtobuf(resourceSpans)), spanIds, decisionIds };
}

export async function postTraces(url: string, body: Buffer): Promise<{ status: number; retryAfter: string | null }> {
  const res = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after') };
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A decision backend: a collector whose decision API owns a SQLite store, on a fixed port. */
export function writeBackendConfig(dir: string, apiPort: number, otlpPort: number): string {
  const db = join(dir, 'backend.db');
  const file = join(dir, 'backend.yaml');
  writeFileSync(
    file,
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${otlpPort}
exporters:
  decisions:
    storage: sqlite:${db}
extensions:
  decision_api:
    endpoint: 127.0.0.1:${apiPort}
    storage: sqlite:${db}
service:
  extensions: [decision_api]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [decisions]
  telemetry:
    logs:
      level: error
    metrics:
      level: none
`,
  );
  return file;
}
