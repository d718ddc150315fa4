import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
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
    assert.equal((await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: badProto })).status, 400);

    const utf16 = Buffer.from(`\ufeff${valid}`, 'utf16le');
    for (const contentType of ['application/json; charset=utf-16', 'application/json;charset="UTF-16LE"', 'application/json; charset=latin1']) {
      const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': contentType }, body: utf16 });
      assert.equal(res.status, 415, contentType);
      assert.match(res.body.toString(), /charset/);
    }
    const utf8 = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/json; charset=UTF-8' }, body: Buffer.from(valid) });
    assert.equal(utf8.status, 200, 'UTF-8 declared is fine');

    const events = await rawRequest(`${collector.apiUrl}/v1/events`, { headers: { 'content-type': 'application/json' }, body: Buffer.from([0x5b, 0xff, 0x5d]) });
    assert.equal(events.status, 400, '/v1/events too');
    const events16 = await rawRequest(`${collector.apiUrl}/v1/events`, { headers: { 'content-type': 'application/json; charset=utf-16' }, body: Buffer.from('[]', 'utf16le') });
    assert.equal(events16.status, 415);
  });

  test('a decision.evidence.__proto__ attribute is kept as evidence, in both encodings', async () => {
    const span = decisionSpan({ decisionId: 'proto-evidence', attributes: { 'decision.evidence.__proto__': 'kept', 'decision.evidence.other': 1 } });
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/json' }, body: Buffer.from(jsonBody([span])) });
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
    assert.equal((await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody([viaProtobuf]) })).status, 200);
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
        assert.ok(
          failure.includes(`receivers.otlp.protocols.${protocol}.endpoint: cannot listen on 127.0.0.1:${port}: address already in use`),
          failure,
        );
        assert.ok(failure.includes(variable), `names ${variable}: ${failure}`);
        assert.doesNotMatch(failure, /^E No address/m, 'no grpc-js line of its own');
      } finally {
        taken.close();
      }
    });
  }
});
