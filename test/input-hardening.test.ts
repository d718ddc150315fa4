import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, createServer, type AddressInfo, type Socket } from 'node:net';
import { otlpReceiverFactory } from '../packages/collector/src/receivers/otlp/factory.js';
import { decisionApiFactory } from '../packages/collector/src/extensions/decision_api/factory.js';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';
import { decisionSpan, jsonBody, protobufBody } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';

/** Issue 17, defect 6 (the smaller ones) against the running collector. */
describe('the running collector refuses odd input cleanly', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  test('a duration reaching before the first Date is a 400, not a 500', async () => {
    for (const since of ['9007199254740993ms', '99999999999999999d']) {
      const res = await fetch(`${collector.apiUrl}/v1/decisions?since=${since}`);
      assert.equal(res.status, 400, since);
      assert.match(((await res.json()) as { error: string }).error, /since/);
    }
    assert.equal(collector.process.exitCode, null);
  });

  test('API answers carry X-Content-Type-Options: nosniff', async () => {
    for (const path of ['/v1/decisions', '/v1/decisions/none', '/v1/nothing']) {
      const res = await fetch(`${collector.apiUrl}${path}`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${path} (${res.status})`);
    }
  });

  test('OTLP/JSON: invalid UTF-8 is a 400 as in protobuf, and a charset other than UTF-8 a 415', async () => {
    const valid = jsonBody([decisionSpan({ attributes: { 'decision.evidence.note': 'PLACE' } })]);
    const [before, after] = valid.split('PLACE');
    const invalid = Buffer.concat([Buffer.from(before!), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after!)]);
    const json = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/json' }, body: invalid });
    assert.equal(json.status, 400, json.body.toString());
    assert.match(json.body.toString(), /UTF-8/);
    // The same bytes in a protobuf string: the behaviour JSON now matches.
    const proto = protobufBody([decisionSpan({ attributes: { 'decision.evidence.note': 'PLACE' } })]);
    const at = proto.indexOf('PLACE');
    const badProto = Buffer.from(proto);
    badProto.set([0xc3, 0x28, 0xff, 0xfe, 0xfd], at);
    assert.equal(
      (await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: badProto })).status,
      400,
    );

    const utf16 = Buffer.from(`\ufeff${valid}`, 'utf16le');
    for (const contentType of ['application/json; charset=utf-16', 'application/json;charset="UTF-16LE"', 'application/json; charset=latin1']) {
      const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': contentType }, body: utf16 });
      assert.equal(res.status, 415, contentType);
      assert.match(res.body.toString(), /charset/);
    }
    const utf8 = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, {
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      body: Buffer.from(valid),
    });
    assert.equal(utf8.status, 200, 'UTF-8 declared is fine');

    const events = await rawRequest(`${collector.apiUrl}/v1/events`, {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x5b, 0xff, 0x5d]),
    });
    assert.equal(events.status, 400, '/v1/events too');
    const events16 = await rawRequest(`${collector.apiUrl}/v1/events`, {
      headers: { 'content-type': 'application/json; charset=utf-16' },
      body: Buffer.from('[]', 'utf16le'),
    });
    assert.equal(events16.status, 415);
  });

  test('a decision.evidence.__proto__ attribute is kept as evidence, in both encodings', async () => {
    const span = decisionSpan({ decisionId: 'proto-evidence', attributes: { 'decision.evidence.__proto__': 'kept', 'decision.evidence.other': 1 } });
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, {
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(jsonBody([span])),
    });
    assert.equal(res.status, 200);
    const text = await (await fetch(`${collector.apiUrl}/v1/decisions/proto-evidence`)).text();
    const record = JSON.parse(text) as { evidence: Record<string, unknown> };
    assert.ok(Object.hasOwn(record.evidence, '__proto__'), text);
    assert.equal(record.evidence['__proto__'], 'kept');
    assert.equal(record.evidence.other, 1);

    // The kvlist form, as protobuf: an own "__proto__" entry.
    const viaProtobuf = decisionSpan({ decisionId: 'proto-evidence-pb' });
    const kv: Record<string, unknown> = {};
    Object.defineProperty(kv, '__proto__', { value: 'kv', enumerable: true, writable: true, configurable: true });
    viaProtobuf.attributes['decision.evidence'] = kv as never;
    assert.equal(
      (await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody([viaProtobuf]) }))
        .status,
      200,
    );
    const pb = JSON.parse(await (await fetch(`${collector.apiUrl}/v1/decisions/proto-evidence-pb`)).text()) as { evidence: Record<string, unknown> };
    assert.ok(Object.hasOwn(pb.evidence, '__proto__'), JSON.stringify(pb.evidence));
    assert.equal(pb.evidence['__proto__'], 'kv');
  });
});

describe('an address in use at start (#17)', () => {
  for (const protocol of ['grpc', 'http'] as const) {
    test(`otlp ${protocol}: exit 1 naming the YAML key and the variable that moves it, no stray grpc-js line`, async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as AddressInfo).port;
      const variable = `DT_OTLP_${protocol.toUpperCase()}_ENDPOINT`;
      try {
        const failure = await startCollector({
          config: (p) =>
            testCollectorConfig(p).replace(
              `endpoint: 127.0.0.1:${p[protocol]}`,
              // As the default collector-config.yaml writes it.
              `endpoint: \${env:${variable}:-127.0.0.1:${port}}`,
            ),
        }).then(
          async (collector) => {
            await collector.stop();
            return undefined;
          },
          (error: Error) => error.message,
        );
        assert.ok(failure !== undefined, 'the collector did not start');
        assert.match(failure, /exited with 1/);
        assert.ok(failure.includes(`receivers.otlp.protocols.${protocol}.endpoint: cannot listen on 127.0.0.1:${port}: address already in use`), failure);
        assert.ok(failure.includes(variable), `names ${variable}: ${failure}`);
        assert.doesNotMatch(failure, /^E No address/m, 'no grpc-js line of its own');
      } finally {
        taken.close();
      }
    });
  }
});

/** Resolves with how long the server took to close `socket` (ms), or rejects after `within` ms. */
function closedWithin(socket: Socket, within: number): Promise<{ ms: number; data: string }> {
  const started = Date.now();
  let data = '';
  socket.on('data', (chunk) => (data += chunk.toString('latin1')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the connection was still open after ${within} ms`)), within);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - started, data });
    });
    socket.on('error', () => {});
  });
}

function connect(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('slow clients and connection caps on the otlp receiver and the decision API (#17)', () => {
  let collector: RunningCollector;
  const limits = { read_header_timeout: '1s', read_timeout: '2s', idle_timeout: '1s', max_connections: 4 };
  before(async () => {
    collector = await startCollector({
      config: (p) =>
        testCollectorConfig(p, {
          receivers: { otlp: { protocols: { http: limits } } },
          extensions: { decision_api: limits },
        }),
    });
  });
  after(async () => {
    await collector.stop();
  });

  for (const target of ['otlp', 'api'] as const) {
    const url = () => (target === 'otlp' ? `${collector.otlpHttpUrl}/v1/traces` : `${collector.apiUrl}/v1/events`);

    test(`${target}: a body trickled a byte at a time is cut off at read_timeout, not after 5 minutes`, async () => {
      const socket = await connect(url());
      const { pathname, host } = new URL(url());
      socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
      const trickle = setInterval(() => socket.writable && socket.write('['), 100);
      try {
        const { ms, data } = await closedWithin(socket, 8_000);
        assert.ok(ms >= 1_500, `not before read_timeout (${ms} ms)`);
        assert.match(data, /^HTTP\/1\.1 408/, 'answered 408 Request Timeout');
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });

    test(`${target}: headers trickled are cut off at read_header_timeout`, async () => {
      const socket = await connect(url());
      socket.write('POST / HTTP/1.1\r\n');
      const trickle = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 100);
      try {
        const { ms } = await closedWithin(socket, 6_000);
        assert.ok(ms < 4_000, `closed after ${ms} ms`);
      } finally {
        clearInterval(trickle);
        socket.destroy();
      }
    });

    test(`${target}: connections past max_connections are closed at once; the server serves again once they go`, async () => {
      const held = await Promise.all(Array.from({ length: 4 }, () => connect(url())));
      // Node counts a connection once its server has seen it.
      await new Promise((r) => setTimeout(r, 200));
      try {
        const extra = await connect(url());
        const { ms } = await closedWithin(extra, 3_000);
        assert.ok(ms < 3_000);
      } finally {
        for (const socket of held) socket.destroy();
      }
      await new Promise((r) => setTimeout(r, 200));
      const res =
        target === 'otlp'
          ? (await rawRequest(url(), { headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody([decisionSpan()]) })).status
          : (await fetch(`${collector.apiUrl}/v1/decisions`)).status;
      assert.equal(res, 200);
    });
  }

  test('a valid request is still served after all that', async () => {
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, {
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufBody([decisionSpan()]),
    });
    assert.equal(res.status, 200);
  });
});

test('the limits have documented defaults in both components', () => {
  const http = otlpReceiverFactory.configSchema.parse({ protocols: { http: {}, grpc: {} } }) as {
    protocols: { http: Record<string, unknown>; grpc: Record<string, unknown> };
  };
  const expected = { read_header_timeout: 10_000, read_timeout: 60_000, idle_timeout: 65_000, max_connections: 1000 };
  for (const [key, value] of Object.entries(expected)) assert.equal(http.protocols.http[key], value, key);
  assert.equal(http.protocols.grpc.max_concurrent_streams, 100);
  assert.equal(http.protocols.grpc.max_connection_idle, 300_000);
  const api = decisionApiFactory.configSchema.parse({}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(expected)) assert.equal(api[key], value, key);
});
