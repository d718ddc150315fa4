import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeProvider, recordRefundDecisions } from './helpers/decision-app.js';
import { decisionSpan, protobufBody, RawTraceServiceClient } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';
import { configWithReceiver } from './helpers/receiver-config.js';
import { makeTestPki, type TestPki } from './helpers/tls-certs.js';

const PROTOBUF = { 'content-type': 'application/x-protobuf' };

function tlsBlock(pki: TestPki, indent: string, mutual: boolean): string {
  return [
    `${indent}tls:`,
    `${indent}  cert_file: ${pki.server.cert}`,
    `${indent}  key_file: ${pki.server.key}`,
    ...(mutual ? [`${indent}  client_ca_file: ${pki.caCert}`] : []),
  ].join('\n');
}

function tlsCollector(pki: TestPki, mutual: boolean) {
  return startCollector({
    config: configWithReceiver(
      (p) => `    protocols:
      grpc:
        endpoint: 127.0.0.1:${p.grpc}
${tlsBlock(pki, '        ', mutual)}
      http:
        endpoint: 127.0.0.1:${p.http}
${tlsBlock(pki, '        ', mutual)}`,
    ),
  });
}

async function recordsOf(collector: RunningCollector, traceId: string): Promise<DecisionRecord[]> {
  const res = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${traceId}&limit=100`);
  return ((await res.json()) as { decisions: DecisionRecord[] }).decisions;
}

async function deliver(exporter: SpanExporter, run: string): Promise<string> {
  const { provider, tracer } = makeProvider(exporter);
  const app = recordRefundDecisions(tracer, run);
  await provider.forceFlush();
  await provider.shutdown();
  return app.traceId;
}

describe('TLS on both protocols (self-signed CA made with openssl in the test)', () => {
  let pki: TestPki;
  let collector: RunningCollector;
  before(async () => {
    pki = makeTestPki();
    collector = await tlsCollector(pki, false);
  });
  after(async () => {
    await collector.stop();
  });

  test('the OTLP/HTTP protobuf exporter over https delivers records', async () => {
    const url = `${collector.otlpHttpUrl.replace('http:', 'https:')}/v1/traces`;
    const traceId = await deliver(new OtlpProtoExporter({ url, httpAgentOptions: { ca: pki.read(pki.caCert) } }), 'tls-http');
    assert.equal((await recordsOf(collector, traceId)).length, 4);
  });

  test('the OTLP/gRPC exporter over TLS delivers records', async () => {
    const exporter = new OtlpGrpcExporter({ url: `https://${collector.grpcEndpoint}`, credentials: credentials.createSsl(pki.read(pki.caCert)) });
    const traceId = await deliver(exporter, 'tls-grpc');
    assert.equal((await recordsOf(collector, traceId)).length, 4);
  });

  test('plaintext clients and clients that do not trust the certificate get nothing through', async () => {
    await assert.rejects(rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) }));
    await assert.rejects(
      rawRequest(`${collector.otlpHttpUrl.replace('http:', 'https:')}/v1/traces`, { headers: PROTOBUF, body: protobufBody([decisionSpan()]) }),
      /unable to verify the first certificate/,
    );
    const plaintext = new RawTraceServiceClient(collector.grpcEndpoint);
    const answer = await plaintext.export(protobufBody([decisionSpan()]));
    plaintext.close();
    assert.equal(answer.error?.code, status.UNAVAILABLE);
  });
});

describe('mutual TLS (client_ca_file)', () => {
  let pki: TestPki;
  let collector: RunningCollector;
  let httpsUrl: string;
  before(async () => {
    pki = makeTestPki();
    collector = await tlsCollector(pki, true);
    httpsUrl = `${collector.otlpHttpUrl.replace('http:', 'https:')}/v1/traces`;
  });
  after(async () => {
    await collector.stop();
  });

  test('clients with a certificate from the configured CA are served on both protocols', async () => {
    const ca = pki.read(pki.caCert);
    const cert = pki.read(pki.client.cert);
    const key = pki.read(pki.client.key);
    const res = await rawRequest(httpsUrl, { headers: PROTOBUF, body: protobufBody([decisionSpan()]), tls: { ca, cert, key } });
    assert.equal(res.status, 200);
    const traceId = await deliver(
      new OtlpGrpcExporter({ url: `https://${collector.grpcEndpoint}`, credentials: credentials.createSsl(ca, key, cert) }),
      'mtls-grpc',
    );
    assert.equal((await recordsOf(collector, traceId)).length, 4);
  });

  test('clients without a certificate, or with one from another CA, are refused', async () => {
    const ca = pki.read(pki.caCert);
    await assert.rejects(rawRequest(httpsUrl, { headers: PROTOBUF, body: protobufBody([decisionSpan()]), tls: { ca } }));
    await assert.rejects(
      rawRequest(httpsUrl, {
        headers: PROTOBUF,
        body: protobufBody([decisionSpan()]),
        tls: { ca, cert: pki.read(pki.strangerClient.cert), key: pki.read(pki.strangerClient.key) },
      }),
    );
    for (const creds of [credentials.createSsl(ca), credentials.createSsl(ca, pki.read(pki.strangerClient.key), pki.read(pki.strangerClient.cert))]) {
      const client = new RawTraceServiceClient(collector.grpcEndpoint, { credentials: creds });
      const answer = await client.export(protobufBody([decisionSpan()]));
      client.close();
      assert.equal(answer.error?.code, status.UNAVAILABLE);
    }
  });
});

describe('TLS files that cannot be used stop the collector at start with the key at fault', () => {
  let pki: TestPki;
  before(() => {
    pki = makeTestPki();
  });

  async function startWith(protocol: 'http' | 'grpc', tls: string): Promise<{ code: number | null; stderr: string }> {
    const config = join(pki.dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      config,
      configWithReceiver(() => `    protocols:\n      ${protocol}:\n        endpoint: 127.0.0.1:0\n        tls:\n${tls}`)({
        http: 0,
        grpc: 0,
        api: 0,
        dbPath: join(pki.dir, 'x.db'),
      }),
    );
    return runCli(['start', '--config', config]);
  }

  test('a missing file', async () => {
    const result = await startWith('http', `          cert_file: ${join(pki.dir, 'nope.crt')}\n          key_file: ${pki.server.key}\n`);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /receivers\.otlp\.protocols\.http\.tls\.cert_file: cannot read .*nope\.crt: ENOENT/);
  });

  test('a key that does not belong to the certificate (either protocol)', async () => {
    for (const protocol of ['http', 'grpc'] as const) {
      const result = await startWith(protocol, `          cert_file: ${pki.server.cert}\n          key_file: ${pki.client.key}\n`);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        new RegExp(`receivers\\.otlp\\.protocols\\.${protocol}\\.tls: cannot use cert_file .*server\\.crt with key_file .*client\\.key`),
      );
    }
  });

  test('a client CA file that holds no certificate', async () => {
    const result = await startWith(
      'grpc',
      `          cert_file: ${pki.server.cert}\n          key_file: ${pki.server.key}\n          client_ca_file: ${pki.server.key}\n`,
    );
    assert.equal(result.code, 1);
    assert.match(result.stderr, /receivers\.otlp\.protocols\.grpc\.tls\.client_ca_file: .*server\.key is not a PEM certificate/);
  });
});
