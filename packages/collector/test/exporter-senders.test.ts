import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants as zlibConstants, gunzipSync, gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { Metadata, Server as GrpcServer, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { encodeDecisionEventsJson, type DecisionEvent } from '@decision-trace/model';
import { deliverWithRetry, type DeliveryClock } from '../src/exporter-helper/deliver.js';
import { ExportError } from '../src/exporter-helper/export-error.js';
import { DEFAULT_RETRY, DEFAULT_SENDING_QUEUE } from '../src/exporter-helper/config.js';
import { otlpHttpExporterSchema } from '../src/exporters/otlphttp/config.js';
import { OtlpHttpSender } from '../src/exporters/otlphttp/otlp-http-sender.js';
import { INLINE_GZIP_MAX_BYTES } from '../src/exporter-helper/http-client.js';
import { otlpGrpcExporterSchema } from '../src/exporters/otlp/config.js';
import { OtlpGrpcSender } from '../src/exporter-helper/otlp-grpc-sender.js';
import { RemoteDecisionSender } from '../src/exporters/decisions/remote-sender.js';
import { decisionsExporterSchema, remoteSettings } from '../src/exporters/decisions/config.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function httpServer(handler: { current: Handler }): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler.current(req, Buffer.concat(chunks), res));
  });
}

const signal = () => new AbortController().signal;

/** ExportTraceServiceResponse { partial_success { rejected_spans = n, error_message = m } } */
function partialSuccessProto(rejected: number, message: string): Uint8Array {
  const inner = protobuf.Writer.create().uint32(8).int64(rejected).uint32(18).string(message).finish();
  return protobuf.Writer.create().uint32(10).bytes(inner).finish();
}

function rpcStatusProto(code: number, message: string, details: Uint8Array[] = []): Uint8Array {
  const writer = protobuf.Writer.create().uint32(8).int32(code).uint32(18).string(message);
  for (const detail of details) writer.uint32(26).bytes(detail);
  return writer.finish();
}

function retryInfoAny(seconds: number): Uint8Array {
  const duration = protobuf.Writer.create().uint32(8).int64(seconds).finish();
  const retryInfo = protobuf.Writer.create().uint32(10).bytes(duration).finish();
  return protobuf.Writer.create().uint32(10).string('type.googleapis.com/google.rpc.RetryInfo').uint32(18).bytes(retryInfo).finish();
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the send to fail');
}

describe('otlphttp sender', () => {
  const handler: { current: Handler } = { current: (_req, _body, res) => res.end() };
  let server: Server;
  let url: string;

  before(async () => {
    server = httpServer(handler);
    url = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sender = async (extra: Record<string, unknown> = {}) => {
    const made = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: url, ...extra }), 2);
    await made.start();
    return made;
  };

  test('posts gzip-compressed protobuf to <endpoint>/v1/traces with the configured headers', async () => {
    let seen: { path?: string; headers?: IncomingMessage['headers']; body?: Buffer } = {};
    handler.current = (req, body, res) => {
      seen = { path: req.url, headers: req.headers, body };
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    };
    const s = await sender({ headers: { 'x-api-key': 'k' } });
    assert.equal(await s.send(Buffer.from('payload'), signal()), undefined);
    assert.equal(seen.path, '/v1/traces');
    assert.equal(seen.headers?.['content-type'], 'application/x-protobuf');
    assert.equal(seen.headers?.['content-encoding'], 'gzip');
    assert.equal(seen.headers?.['x-api-key'], 'k');
    assert.equal(gunzipSync(seen.body!).toString(), 'payload');
    await s.close();
  });

  test('compression_params.level sets the gzip level (unset: zlib default 6, as the Collector), the body arriving the same', async () => {
    const bodies: Buffer[] = [];
    handler.current = (_req, body, res) => {
      bodies.push(body);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    };
    // Compressible but not trivially so: the levels give different sizes on it.
    const payload = Buffer.from(Array.from({ length: 4000 }, (_, i) => `span-${i % 97}-${(i * 7919) % 1009};`).join(''));
    const sizes = new Map<string, number>();
    for (const level of [undefined, 1, 9, -1, -2]) {
      const s = await sender(level === undefined ? {} : { compression_params: { level } });
      await s.send(payload, signal());
      await s.close();
      const sent = bodies.pop()!;
      assert.deepEqual(gunzipSync(sent), payload, `level ${level}: the body arrives unchanged`);
      sizes.set(String(level), sent.length);
      // gzip's XFL header byte: 2 for level 9, 4 for level 1 and Huffman-only, 0 otherwise.
      assert.equal(sent[8], level === 9 ? 2 : level === 1 || level === -2 ? 4 : 0, `level ${level}: XFL`);
    }
    assert.equal(sizes.get('undefined'), gzipSync(payload, { level: 6 }).length, 'unset is level 6');
    assert.equal(sizes.get('-1'), sizes.get('undefined'), '-1 is the default');
    assert.ok(sizes.get('1')! > sizes.get('undefined')!, `level 1 (${sizes.get('1')}) is larger than level 6 (${sizes.get('undefined')})`);
    assert.ok(sizes.get('9')! < sizes.get('1')!, `level 9 (${sizes.get('9')}) is smaller than level 1`);
    assert.ok(sizes.get('-2')! > sizes.get('1')!, `Huffman only (${sizes.get('-2')}) finds no repeats, unlike level 1`);
  });

  test('bodies above INLINE_GZIP_MAX_BYTES (compressed on the thread pool) get the same bytes as small ones (on the event loop)', async () => {
    const bodies: Buffer[] = [];
    handler.current = (_req, body, res) => {
      bodies.push(body);
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    };
    const unit = Buffer.from(Array.from({ length: 2000 }, (_, i) => `span-${i % 97}-${(i * 7919) % 1009};`).join(''));
    const large = Buffer.concat(Array.from({ length: Math.ceil((INLINE_GZIP_MAX_BYTES * 2) / unit.length) }, () => unit));
    assert.ok(unit.length <= INLINE_GZIP_MAX_BYTES && large.length > INLINE_GZIP_MAX_BYTES);
    for (const level of [1, 9]) {
      const s = await sender({ compression_params: { level } });
      for (const payload of [unit, large]) {
        await s.send(payload, signal());
        const sent = bodies.pop()!;
        assert.deepEqual(sent, gzipSync(payload, { level }), `level ${level}, ${payload.length} bytes`);
      }
      await s.close();
    }
  });

  test('a gzip level the Collector refuses is a config error; with compression none the params are ignored, as there', () => {
    for (const level of [10, -3, 42]) {
      const result = otlpHttpExporterSchema.safeParse({ endpoint: url, compression_params: { level } });
      assert.equal(result.success, false, `level ${level}`);
      assert.match(result.error!.issues[0].message, new RegExp(`^unsupported parameters \\{Level:${level}\\} for compression type "gzip"`));
      assert.deepEqual(result.error!.issues[0].path, ['compression_params', 'level']);
    }
    assert.equal(otlpHttpExporterSchema.safeParse({ endpoint: url, compression_params: { level: 1.5 } }).success, false);
    assert.equal(otlpHttpExporterSchema.safeParse({ endpoint: url, compression: 'none', compression_params: { level: 42 } }).success, true);
  });

  test('a partial success reports the rejected spans (protobuf and JSON answers)', async () => {
    handler.current = (_req, _body, res) => res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(partialSuccessProto(3, 'bad ids'));
    const s = await sender();
    assert.deepEqual(await s.send(Buffer.from('x'), signal()), { rejectedItems: 3, message: 'bad ids' });
    handler.current = (_req, _body, res) =>
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ partialSuccess: { rejectedSpans: '2', errorMessage: 'too old' } }));
    assert.deepEqual(await s.send(Buffer.from('x'), signal()), { rejectedItems: 2, message: 'too old' });
    await s.close();
  });

  test("429/502/503/504 are retryable, honouring Retry-After; other statuses are permanent with the server's message", async () => {
    const s = await sender({ compression: 'none' });
    for (const code of [429, 502, 503, 504]) {
      handler.current = (_req, _body, res) => res.writeHead(code, { 'Retry-After': '4' }).end();
      const error = await failureOf(s.send(Buffer.from('x'), signal()));
      assert.ok(error instanceof ExportError && !error.permanent, `${code} is retryable`);
      assert.equal((error as ExportError).throttleMs, 4000);
    }
    for (const code of [400, 401, 404, 413, 500]) {
      handler.current = (_req, _body, res) => res.writeHead(code, { 'Content-Type': 'application/x-protobuf' }).end(rpcStatusProto(3, `why ${code}`));
      const error = await failureOf(s.send(Buffer.from('x'), signal()));
      assert.ok(error instanceof ExportError && error.permanent, `${code} is permanent`);
      assert.match((error as Error).message, new RegExp(`HTTP ${code}: why ${code}`));
    }
    await s.close();
  });

  test('JSON encoding posts application/json to traces_endpoint', async () => {
    let path: string | undefined;
    let type: string | undefined;
    handler.current = (req, _body, res) => {
      path = req.url;
      type = req.headers['content-type'];
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    };
    const s = new OtlpHttpSender(otlpHttpExporterSchema.parse({ traces_endpoint: `${url}/otlp/traces`, encoding: 'json' }), 1);
    await s.start();
    await s.send(Buffer.from('{}'), signal());
    assert.equal(path, '/otlp/traces');
    assert.equal(type, 'application/json');
    await s.close();
  });

  test('a refused connection is an ordinary (retryable) error', async () => {
    const s = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: 'http://127.0.0.1:1' }), 1);
    await s.start();
    const error = await failureOf(s.send(Buffer.from('x'), signal()));
    assert.ok(!(error instanceof ExportError), 'not classified as permanent');
    await s.close();
  });

  test('an aborted attempt (its timeout, or shutdown) ends at once: the request is closed, the send fails with the reason as cause', async () => {
    const closed = { count: 0 };
    handler.current = (req, _body, res) => {
      // Never answered: only the abort can end the attempt.
      res.on('close', () => (closed.count += 1));
    };
    try {
      const s = await sender();
      const attempt = new AbortController();
      const reason = new Error('export attempt timed out after 50 ms');
      setTimeout(() => attempt.abort(reason), 50);
      const error = (await failureOf(s.send(Buffer.from('x'), attempt.signal))) as Error & { code?: string };
      assert.equal(error.name, 'AbortError');
      assert.equal(error.code, 'ABORT_ERR');
      assert.equal(error.cause, reason);
      for (let i = 0; i < 100 && closed.count === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(closed.count, 1, 'the server saw the aborted request closed');
      // An attempt with its signal aborted already is not sent at all.
      const gone = new AbortController();
      gone.abort(reason);
      assert.equal(await failureOf(s.send(Buffer.from('x'), gone.signal)), reason);
      handler.current = (_req, _body, res) => res.writeHead(200).end();
      assert.equal(await s.send(Buffer.from('x'), signal()), undefined, 'the sender still works after an abort');
      await s.close();
    } finally {
      handler.current = (_req, _body, res) => res.end();
    }
  });

  test('TLS: verifies the server with ca_file; insecure_skip_verify accepts an unknown certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tlsServer = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    const port = await listen(tlsServer as unknown as Server);
    try {
      const trusting = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: `https://127.0.0.1:${port}`, tls: { ca_file: join(dir, 'cert.pem') } }), 1);
      await trusting.start();
      assert.equal(await trusting.send(Buffer.from('x'), signal()), undefined);
      await trusting.close();
      const strict = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: `https://127.0.0.1:${port}` }), 1);
      await strict.start();
      assert.match(String(await failureOf(strict.send(Buffer.from('x'), signal()))), /self.signed|certificate/i);
      await strict.close();
      const skipping = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: `https://127.0.0.1:${port}`, tls: { insecure_skip_verify: true } }), 1);
      await skipping.start();
      assert.equal(await skipping.send(Buffer.from('x'), signal()), undefined);
      await skipping.close();
      await assert.rejects(
        new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: `https://127.0.0.1:${port}`, tls: { ca_file: join(dir, 'missing.pem') } }), 1).start(),
        /tls\.ca_file: cannot read/,
      );
    } finally {
      tlsServer.close();
    }
  });
});

describe('otlphttp sender: a kept-alive connection the server has closed', () => {
  /**
   * A real HTTP server that, while `closing` is set, closes a reused connection as a request
   * arrives on it, without answering: the race of a request written just as the server's idle
   * timeout closed the connection, made certain. (A real idle timeout as short as 50 ms cannot
   * stage it: Node's server then advertises `Keep-Alive: timeout=0` and Node's agent never
   * reuses the connection.)
   */
  let closing = false;
  let connections = 0;
  let answered = 0;
  const served = new WeakSet<object>();
  let server: Server;
  let url: string;

  before(async () => {
    server = createServer((req, res) => {
      if (closing && served.has(req.socket)) {
        req.socket.destroy();
        return;
      }
      served.add(req.socket);
      req.resume();
      req.on('end', () => {
        answered += 1;
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      });
    });
    server.on('connection', () => (connections += 1));
    url = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The retry loop with a clock that records the backoff waits instead of waiting. */
  const deliver = (s: OtlpHttpSender) => {
    const waits: number[] = [];
    const failures: unknown[] = [];
    const clock: DeliveryClock = { now: () => Date.now(), sleep: async (ms) => (waits.push(ms), true) };
    const retry = { ...DEFAULT_RETRY, max_elapsed_time: 60_000 };
    const result = deliverWithRetry(Buffer.from('x'), {
      sender: s,
      retry,
      timeoutMs: 5000,
      signal: signal(),
      clock,
      onAttemptFailed: (error) => failures.push(error),
    });
    return result.then((r) => ({ result: r, waits, failures }));
  };

  test('a request that meets a closed kept-alive connection is sent again at once on a new one, not after a backoff', async () => {
    closing = false;
    const s = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: url }), 1);
    await s.start();
    await s.send(Buffer.from('first'), signal()); // leaves one kept-alive connection
    const before = { connections, answered };
    closing = true;
    const { result, waits, failures } = await deliver(s);
    closing = false;
    assert.equal(result.status, 'sent');
    assert.equal(result.attempts, 1, 'one attempt: the stale connection is not a failed attempt');
    assert.deepEqual(failures, []);
    assert.deepEqual(waits, [], 'no backoff');
    assert.equal(connections - before.connections, 1, 'the request went again on a new connection');
    assert.equal(answered - before.answered, 1);
    await s.close();
  });

  test('a reset on a new connection is still an ordinary failure, not sent again by itself', async () => {
    const resetting = createServer((req) => req.socket.destroy());
    const port = await listen(resetting);
    const r = new OtlpHttpSender(otlpHttpExporterSchema.parse({ endpoint: `http://127.0.0.1:${port}` }), 1);
    await r.start();
    let resetConnections = 0;
    resetting.on('connection', () => (resetConnections += 1));
    const attempt = await failureOf(r.send(Buffer.from('x'), signal()));
    assert.equal((attempt as NodeJS.ErrnoException).code, 'ECONNRESET');
    assert.equal(resetConnections, 1, 'not sent again by itself');
    await r.close();
    await new Promise<void>((resolve) => resetting.close(() => resolve()));
  });
});

describe('otlp (gRPC) sender', () => {
  let server: GrpcServer;
  let endpoint: string;
  const reply: { current: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => void } = {
    current: (_call, callback) => callback(null, Buffer.alloc(0)),
  };

  before(async () => {
    server = new GrpcServer();
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
      { Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => reply.current(call, callback) },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    endpoint = `127.0.0.1:${port}`;
  });
  after(() => server.forceShutdown());

  const sender = async (extra: Record<string, unknown> = {}) => {
    const made = new OtlpGrpcSender(otlpGrpcExporterSchema.parse({ endpoint, tls: { insecure: true }, ...extra }));
    await made.start();
    return made;
  };

  test('sends the bytes as they are, with headers as metadata; reads a partial success', async () => {
    let received: Buffer | undefined;
    let tenant: unknown;
    reply.current = (call, callback) => {
      received = call.request;
      tenant = call.metadata.get('x-tenant')[0];
      callback(null, Buffer.from(partialSuccessProto(1, 'one bad span')));
    };
    const s = await sender({ headers: { 'X-Tenant': 'acme' } });
    assert.deepEqual(await s.send(Buffer.from([1, 2, 3]), signal()), { rejectedItems: 1, message: 'one bad span' });
    assert.deepEqual(received, Buffer.from([1, 2, 3]));
    assert.equal(tenant, 'acme');
    await s.close();
  });

  test('retryable codes per the OTLP spec; RESOURCE_EXHAUSTED only with RetryInfo, whose delay is honoured', async () => {
    const s = await sender();
    for (const code of [status.CANCELLED, status.DEADLINE_EXCEEDED, status.ABORTED, status.OUT_OF_RANGE, status.UNAVAILABLE, status.DATA_LOSS]) {
      reply.current = (_call, callback) => callback({ code, details: 'busy' });
      const error = await failureOf(s.send(Buffer.from('x'), signal()));
      assert.ok(error instanceof ExportError && !error.permanent, `${status[code]} is retryable`);
    }
    for (const code of [status.INVALID_ARGUMENT, status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.RESOURCE_EXHAUSTED, status.INTERNAL]) {
      reply.current = (_call, callback) => callback({ code, details: 'no' });
      const error = await failureOf(s.send(Buffer.from('x'), signal()));
      assert.ok(error instanceof ExportError && error.permanent, `${status[code]} is permanent`);
    }
    reply.current = (_call, callback) => {
      const metadata = new Metadata();
      metadata.set('grpc-status-details-bin', Buffer.from(rpcStatusProto(status.RESOURCE_EXHAUSTED, 'slow down', [retryInfoAny(3)])));
      callback({ code: status.RESOURCE_EXHAUSTED, details: 'slow down', metadata });
    };
    const throttled = await failureOf(s.send(Buffer.from('x'), signal()));
    assert.ok(throttled instanceof ExportError && !throttled.permanent);
    assert.equal((throttled as ExportError).throttleMs, 3000);
    await s.close();
  });

  test('endpoint forms: host:port, http:// (plaintext), https:// (TLS)', async () => {
    assert.ok(otlpGrpcExporterSchema.safeParse({ endpoint: 'collector:4317' }).success);
    assert.ok(otlpGrpcExporterSchema.safeParse({ endpoint: '[::1]:4317' }).success);
    assert.ok(!otlpGrpcExporterSchema.safeParse({ endpoint: 'collector' }).success);
    const plaintext = new OtlpGrpcSender(otlpGrpcExporterSchema.parse({ endpoint: `http://${endpoint}` }));
    await plaintext.start();
    reply.current = (_call, callback) => callback(null, Buffer.alloc(0));
    assert.equal(await plaintext.send(Buffer.from('x'), signal()), undefined, 'http:// means plaintext even without tls.insecure');
    await plaintext.close();
  });
});

function sampleEvents(): DecisionEvent[] {
  const base = {
    schema_version: '1.0',
    decision_id: 'd-1',
    decision_type: 'refund.approve.v2',
    parent_decision_id: null,
    trace_id: '0af7651916cd43dd8448eb211c80319c',
    span_id: '00f067aa0ba902b7',
    tenant_id: 'acme',
    environment: 'prod',
    timestamp: '2026-01-01T00:00:00.000Z',
    actor: { id: 'agent-7', type: 'agent', version: null, org: null },
    causal_links: [{ type: 'depends_on' as const, target_decision_id: 'd-0' }],
    service_name: 'refunds',
  };
  return [
    {
      ...base,
      event_id: 'otlp:a',
      event_type: 'decision.observed',
      source: 'otlp.span',
      payload: { outcome: 'approved', confidence: 0.9, evidence: { amount: 12 } },
      flags: [{ code: 'invalid_value', field: 'x', detail: 'y' }],
    },
    { ...base, event_id: 'otlp:b', event_type: 'decision.linked', source: 'otlp.span', payload: {}, parent_decision_id: 'd-parent' },
    { ...base, event_id: 'otlp:c', event_type: 'decision.evidence', source: 'otlp.dt_span', payload: { key: 'tier', value: 'gold' } },
    { ...base, event_id: 'otlp:d', event_type: 'decision.evidence', source: 'otlp.dt_span', payload: { evidence: { a: 1, b: 2 } } },
    { ...base, event_id: 'otlp:e', event_type: 'decision.outcome', source: 'otlp.dt_span', payload: { status: 'approved' } },
    { ...base, event_id: 'otlp:f', event_type: 'decision.outcome', source: 'otlp.dt_span', payload: { outcome: 'denied' } },
    { ...base, event_id: 'otlp:g', event_type: 'decision.policy_check', source: 'otlp.dt_span', payload: { policy: 'limit', result: 'pass' } },
    { ...base, event_id: 'otlp:h', event_type: 'decision.error', source: 'otlp.dt_span', payload: { error_type: 'Timeout' } },
  ] as DecisionEvent[];
}

describe('decisions exporter: a remote backend', () => {
  test('posts to <endpoint>/v1/events with the API key; 400 rejects some events, 503 is retried, 401 is permanent', async () => {
    const handler: { current: Handler } = { current: (_req, _body, res) => res.end() };
    const server = httpServer(handler);
    const port = await listen(server);
    const sender = new RemoteDecisionSender(
      {
        endpoint: `http://127.0.0.1:${port}/`,
        api_key: 'secret',
        headers: {},
        compression: 'gzip',
        compression_params: { level: 0 },
        timeout: 1000,
        sending_queue: DEFAULT_SENDING_QUEUE,
        retry_on_failure: DEFAULT_RETRY,
      },
      1,
    );
    await sender.start();
    try {
      let seen: { path?: string; auth?: string; body?: unknown } = {};
      handler.current = (req, body, res) => {
        seen = { path: req.url, auth: req.headers.authorization, body: JSON.parse(gunzipSync(body).toString()) };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"accepted":1,"duplicates":0}');
      };
      assert.equal(await sender.send(encodeEvents(sampleEvents().slice(0, 1)), signal()), undefined);
      assert.equal(seen.path, '/v1/events');
      assert.equal(seen.auth, 'Bearer secret');
      assert.equal((seen.body as Array<{ event_id: string }>)[0].event_id, 'otlp:a');

      handler.current = (_req, _body, res) =>
        res.writeHead(400, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({
            error: '2 of 3 events are invalid',
            errors: [
              { index: 0, field: 'event_type', message: 'bad' },
              { index: 2, field: 'timestamp', message: 'bad' },
              { index: 2, field: 'payload.key', message: 'required' },
            ],
            accepted: 1,
          }),
        );
      const partial = await sender.send(Buffer.from('[]'), signal());
      assert.equal(partial?.rejectedItems, 2);

      handler.current = (_req, _body, res) => res.writeHead(503, { 'Retry-After': '2' }).end('{"error":"store busy"}');
      const busy = await failureOf(sender.send(Buffer.from('[]'), signal()));
      assert.ok(busy instanceof ExportError && !busy.permanent && busy.throttleMs === 2000);

      handler.current = (_req, _body, res) => res.writeHead(401).end('{"error":"unknown key"}');
      const denied = await failureOf(sender.send(Buffer.from('[]'), signal()));
      assert.ok(denied instanceof ExportError && denied.permanent);
      assert.match((denied as Error).message, /401: unknown key/);
    } finally {
      await sender.close();
      server.close();
    }
  });

  test('compression_params.level sets the gzip level of the posted events (unset: 6), from the config through remoteSettings', async () => {
    const bodies: Buffer[] = [];
    const server = httpServer({
      current: (_req, body, res) => {
        bodies.push(body);
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"accepted":1,"duplicates":0}');
      },
    });
    const port = await listen(server);
    // Compressible but not trivially so: the levels give different sizes on it.
    const events = Array.from({ length: 60 }, (_, i) => ({ ...sampleEvents()[i % 8]!, event_id: `otlp:${(i * 7919) % 1009}` }));
    const body = encodeEvents(events);
    try {
      for (const level of [undefined, 1, 9, -2]) {
        const config = decisionsExporterSchema.parse({
          endpoint: `http://127.0.0.1:${port}`,
          ...(level === undefined ? {} : { compression_params: { level } }),
        });
        const sender = new RemoteDecisionSender(remoteSettings({ ...config, endpoint: config.endpoint! }), 1);
        await sender.start();
        try {
          assert.equal(await sender.send(body, signal()), undefined);
        } finally {
          await sender.close();
        }
        const sent = bodies.pop()!;
        assert.deepEqual(gunzipSync(sent), body, `level ${level}: the body arrives unchanged`);
        const expected = level === -2 ? gzipSync(body, { strategy: zlibConstants.Z_HUFFMAN_ONLY }) : gzipSync(body, { level: level ?? 6 });
        assert.deepEqual(sent, expected, `level ${level}: the bytes of gzip at that level`);
      }
    } finally {
      server.close();
    }
    const refused = decisionsExporterSchema.safeParse({ endpoint: 'http://127.0.0.1:1', compression_params: { level: 10 } });
    assert.equal(refused.success, false);
    assert.deepEqual(refused.error!.issues[0]!.path, ['compression_params', 'level']);
    assert.equal(decisionsExporterSchema.safeParse({ endpoint: 'http://127.0.0.1:1', compression: 'none', compression_params: { level: 10 } }).success, true);
  });
});

function encodeEvents(events: DecisionEvent[]): Buffer {
  return Buffer.from(encodeDecisionEventsJson(events));
}
