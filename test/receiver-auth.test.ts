import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata, status } from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import type { DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeProvider, recordRefundDecisions } from './helpers/decision-app.js';
import { decodeRpcStatus, decisionSpan, protobufBody, RawTraceServiceClient } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';
import { configWithReceiver } from './helpers/receiver-config.js';
import { bothProtocols, startReceiver, type ReceiverHarness } from './helpers/receiver-harness.js';

const ACME_TOKEN = 'acme-0c7d0f5e3b2a41f9';
const GLOBEX_TOKEN = 'globex-9a8b7c6d5e4f3a2b';
const PROTOBUF = { 'content-type': 'application/x-protobuf' };

function configErrors(receiverYaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  const yaml = `
receivers:
  otlp:
${receiverYaml}
exporters:
  debug: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`;
  try {
    parseCollectorConfig(yaml, defaultComponents(), env);
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('expected the config to be rejected');
}

describe('receiver auth config', () => {
  const protocols = '    protocols:\n      http:\n';

  test('tokens come from ${env:...}; an unset variable is an empty token, reported at its YAML path', () => {
    const errors = configErrors(
      `${protocols}    auth:\n      bearer_tokens:\n        - token: \${env:ACME_OTLP_TOKEN}\n          tenant: acme\n        - token: \${env:UNSET_OTLP_TOKEN}\n          tenant: globex\n`,
      { ACME_OTLP_TOKEN: ACME_TOKEN },
    );
    assert.deepEqual(errors, ['receivers.otlp.auth.bearer_tokens[1].token: empty token (is the environment variable it comes from set?)']);
  });

  test('a duplicate token is refused without echoing the secret', () => {
    const errors = configErrors(
      `${protocols}    auth:\n      bearer_tokens:\n        - {token: "\${env:T}", tenant: acme}\n        - {token: other, tenant: initech}\n        - {token: "\${env:T}", tenant: globex}\n`,
      { T: ACME_TOKEN },
    );
    assert.deepEqual(errors, ['receivers.otlp.auth.bearer_tokens[2].token: the same token as bearer_tokens[0]: each token must be distinct']);
    assert.ok(errors.every((e) => !e.includes(ACME_TOKEN)));
  });

  test('missing tenant, empty list, unknown keys and incomplete tls are reported with their paths', () => {
    assert.deepEqual(configErrors(`${protocols}    auth:\n      bearer_tokens:\n        - {token: abc}\n`), [
      'receivers.otlp.auth.bearer_tokens[0].tenant: required (expected string)',
    ]);
    assert.deepEqual(configErrors(`${protocols}    auth:\n      bearer_tokens: []\n`), [
      'receivers.otlp.auth.bearer_tokens: list at least one {token, tenant}, or remove auth to accept unauthenticated requests',
    ]);
    assert.deepEqual(configErrors(`${protocols}    auth:\n      bearer_tokens: [{token: a, tenant: b}]\n      authenticator: x\n`), [
      'receivers.otlp.auth.authenticator: unknown key',
    ]);
    assert.deepEqual(configErrors(`    protocols:\n      grpc:\n        tls:\n          cert_file: server.crt\n`), [
      'receivers.otlp.protocols.grpc.tls.key_file: required (expected string)',
    ]);
    assert.deepEqual(configErrors(`    protocols:\n      http:\n        cors:\n          allowed_origins: [""]\n          max_age: -1\n`), [
      'receivers.otlp.protocols.http.cors.allowed_origins[0]: an origin must not be empty',
      'receivers.otlp.protocols.http.cors.max_age: Too small: expected number to be >=0',
    ]);
  });
});

describe('receiver auth: 401 / UNAUTHENTICATED', () => {
  let receiver: ReceiverHarness;
  let url: string;
  before(async () => {
    receiver = await startReceiver(
      bothProtocols(
        {
          auth: {
            bearer_tokens: [
              { token: ACME_TOKEN, tenant: 'acme' },
              { token: GLOBEX_TOKEN, tenant: 'globex' },
            ],
          },
        },
        { cors: { allowed_origins: ['https://app.example.com'], allowed_headers: ['Authorization'] } },
      ),
    );
    url = `${receiver.httpUrl}/v1/traces`;
  });
  after(() => receiver.stop());

  test('HTTP: missing, malformed or wrong credentials get 401 with WWW-Authenticate: Bearer, in the request encoding', async () => {
    const cases: Array<{ headers: Record<string, string>; challenge: string; message: RegExp }> = [
      { headers: {}, challenge: 'Bearer realm="otlp"', message: /missing credentials/ },
      {
        headers: { authorization: `Basic ${Buffer.from('acme:x').toString('base64')}` },
        challenge: 'Bearer realm="otlp"',
        message: /unsupported authorization scheme/,
      },
      { headers: { authorization: 'Bearer not-a-token' }, challenge: 'Bearer realm="otlp", error="invalid_token"', message: /invalid bearer token/ },
      { headers: { authorization: `Bearer ${ACME_TOKEN}x` }, challenge: 'Bearer realm="otlp", error="invalid_token"', message: /invalid bearer token/ },
    ];
    for (const c of cases) {
      const res = await rawRequest(url, { headers: { ...PROTOBUF, ...c.headers }, body: protobufBody([decisionSpan()]) });
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], c.challenge);
      assert.equal(res.headers['content-type'], 'application/x-protobuf');
      const body = decodeRpcStatus(res.body);
      assert.equal(body.code, 16);
      assert.match(body.message, c.message);
    }
    const json = await rawRequest(url, { headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 401);
    assert.equal(JSON.parse(json.body.toString()).code, 16);
    assert.equal(receiver.batches.length, 0, 'nothing unauthenticated reached the pipeline');
  });

  test("HTTP: a valid token's tenant is stamped on the batch (scheme case-insensitive)", async () => {
    for (const [authorization, tenant] of [
      [`Bearer ${ACME_TOKEN}`, 'acme'],
      [`bearer ${GLOBEX_TOKEN}`, 'globex'],
    ]) {
      const res = await rawRequest(url, { headers: { ...PROTOBUF, authorization }, body: protobufBody([decisionSpan({ tenant: 'someone-else' })]) });
      assert.equal(res.status, 200);
      assert.equal(receiver.batches.at(-1)!.tenant, tenant);
    }
  });

  test('a CORS preflight needs no credentials (browsers never send them on one)', async () => {
    const res = await rawRequest(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    assert.equal(res.status, 204);
  });

  test('gRPC: missing or wrong token → UNAUTHENTICATED; a valid one stamps its tenant', async () => {
    const client = new RawTraceServiceClient(receiver.grpcTarget);
    try {
      const missing = await client.export(protobufBody([decisionSpan()]));
      assert.equal(missing.error?.code, status.UNAUTHENTICATED);
      assert.match(missing.error!.details, /missing credentials/);
      const wrong = await client.export(protobufBody([decisionSpan()]), { authorization: `Bearer ${GLOBEX_TOKEN.slice(1)}` });
      assert.equal(wrong.error?.code, status.UNAUTHENTICATED);
      assert.equal(wrong.error!.details, 'invalid bearer token');
      const ok = await client.export(protobufBody([decisionSpan()]), { authorization: `Bearer ${GLOBEX_TOKEN}` });
      assert.equal(ok.error, undefined);
      assert.equal(receiver.batches.at(-1)!.tenant, 'globex');
    } finally {
      client.close();
    }
  });
});

describe('tenant stamping end to end: a token writes only into its own tenant', () => {
  let collector: RunningCollector;
  before(async () => {
    process.env.DT_TEST_ACME_TOKEN = ACME_TOKEN;
    process.env.DT_TEST_GLOBEX_TOKEN = GLOBEX_TOKEN;
    collector = await startCollector({
      config: configWithReceiver(
        (p) => `    auth:
      bearer_tokens:
        - token: \${env:DT_TEST_ACME_TOKEN}
          tenant: acme
        - token: \${env:DT_TEST_GLOBEX_TOKEN}
          tenant: globex
    protocols:
      grpc:
        endpoint: 127.0.0.1:${p.grpc}
      http:
        endpoint: 127.0.0.1:${p.http}`,
      ),
    });
  });
  after(async () => {
    await collector.stop();
  });

  const exporters: Array<{ name: string; make: (c: RunningCollector) => SpanExporter }> = [
    {
      name: 'OTLP/HTTP protobuf',
      make: (c) => new OtlpProtoExporter({ url: `${c.otlpHttpUrl}/v1/traces`, headers: { Authorization: `Bearer ${GLOBEX_TOKEN}` } }),
    },
    {
      name: 'OTLP/gRPC',
      make: (c) => {
        const metadata = new Metadata();
        metadata.set('authorization', `Bearer ${GLOBEX_TOKEN}`);
        return new OtlpGrpcExporter({ url: `http://${c.grpcEndpoint}`, metadata });
      },
    },
  ];
  for (const { name, make } of exporters) {
    test(`${name}: spans claiming tenant acme, sent with globex's token, become globex records`, async () => {
      const { provider, tracer } = makeProvider(make(collector));
      const app = recordRefundDecisions(tracer, `tenant-${name}`);
      await provider.forceFlush();
      await provider.shutdown();
      const res = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${app.traceId}&limit=100`);
      const { decisions } = (await res.json()) as { decisions: DecisionRecord[] };
      assert.equal(decisions.length, 4, 'all four decisions (attributes, span events, dt.* spans) recorded');
      assert.deepEqual([...new Set(decisions.map((d) => d.tenant))], ['globex']);
      const acme = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${app.traceId}&tenant=acme`);
      assert.equal(((await acme.json()) as { decisions: DecisionRecord[] }).decisions.length, 0, "nothing landed in acme's ledger");
    });
  }

  test('the real collector answers 401 to a request without a token', async () => {
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) });
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="otlp"');
  });
});
