import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { status as grpcStatus } from '@grpc/grpc-js';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { makeProvider, recordRefundDecisions, type AppTrace } from './helpers/decision-app.js';
import { decodeRpcStatus, decisionSpan, protobufBody, RawTraceServiceClient } from './helpers/otlp-requests.js';

const REFUSED_LOG = 'pipeline refused data; asking the client to retry';

async function appSpans(run: string): Promise<{ app: AppTrace; spans: ReadableSpan[] }> {
  const { provider, tracer, captured } = makeProvider(new InMemorySpanExporter());
  const app = recordRefundDecisions(tracer, run);
  await provider.forceFlush();
  return { app, spans: captured.getFinishedSpans() };
}

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Holds SQLite's write lock on the collector's database until `release` is called. */
function lockDatabase(dbPath: string): { release(): void } {
  const lock = new Database(dbPath);
  lock.exec('BEGIN EXCLUSIVE');
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}

/**
 * Real back-pressure, without touching the store: the test holds SQLite's write lock on the
 * collector's database, so the store's append fails after its busy timeout, the decisions
 * exporter raises a retryable PipelineError, and the receiver answers 503 + Retry-After
 * (gRPC UNAVAILABLE + RetryInfo). Then the lock is released and the SDK's retry goes through.
 * Each scenario has a collector of its own (one request in flight per locked store), and the
 * scenarios run side by side because each waits out the store's busy timeout.
 */
describe('back-pressure: SDK exporters retry and nothing is lost', { concurrency: true }, () => {
  const diagnostics: string[] = [];
  const collectors: RunningCollector[] = [];
  before(() => {
    const keep = (message: string) => diagnostics.push(message);
    diag.setLogger({ verbose: keep, debug: keep, info: keep, warn: keep, error: keep }, DiagLogLevel.VERBOSE);
  });
  after(async () => {
    diag.disable();
    await Promise.all(collectors.map((c) => c.stop()));
  });

  async function lockedCollector(): Promise<{ collector: RunningCollector; lock: { release(): void } }> {
    const collector = await startCollector();
    collectors.push(collector);
    return { collector, lock: lockDatabase(collector.dbPath) };
  }

  const sdkExporters: Array<{ name: string; make: (url: string) => SpanExporter }> = [
    { name: 'http/protobuf', make: (url) => new OtlpProtoExporter({ url, timeoutMillis: 90_000 }) },
    { name: 'http/json', make: (url) => new OtlpHttpJsonExporter({ url, timeoutMillis: 90_000 }) },
  ];
  for (const { name, make } of sdkExporters) {
    test(`${name}: 503 + Retry-After while the store is locked; the exporter retries and every decision arrives`, async (t) => {
      const { app, spans } = await appSpans(`backpressure-${name}`);
      const { collector, lock } = await lockedCollector();
      const started = Date.now();
      let result: ExportResult;
      try {
        const exported = exportOnce(make(`${collector.otlpHttpUrl}/v1/traces`), spans);
        await waitFor(() => collector.logs().includes(REFUSED_LOG), 'the receiver to refuse data');
        t.diagnostic(`refused after ${Date.now() - started} ms`);
        lock.release();
        result = await exported;
      } finally {
        lock.release();
      }
      t.diagnostic(`delivered after ${Date.now() - started} ms`);
      assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
      assert.ok(
        diagnostics.includes('Scheduling export retry in 1000ms'),
        `the SDK scheduled its retry from Retry-After: 1 (diag: ${diagnostics.filter((m) => /retry/i.test(m)).join(' | ')})`,
      );
      assert.doesNotMatch(collector.logs(), /pipeline failed unexpectedly|internal error/, 'overload is never an internal error');
      const res = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${app.traceId}&limit=100`);
      const { decisions } = (await res.json()) as { decisions: DecisionRecord[] };
      assert.equal(decisions.length, 4, 'every decision of the refused request arrived with the retry');
    });
  }

  test('gRPC: UNAVAILABLE with RetryInfo while the store is locked; the same request succeeds after', async () => {
    const { collector, lock } = await lockedCollector();
    const client = new RawTraceServiceClient(collector.grpcEndpoint);
    const span = decisionSpan({ decisionId: 'backpressure-grpc' });
    try {
      const { error } = await client.export(protobufBody([span]));
      assert.equal(error?.code, grpcStatus.UNAVAILABLE, String(error?.details));
      assert.match(error!.details, /decision store unavailable/);
      const [details] = error!.metadata.get('grpc-status-details-bin');
      assert.equal(decodeRpcStatus(details as Buffer).retryDelaySeconds, 1);
      lock.release();
      const retry = await client.export(protobufBody([span]));
      assert.equal(retry.error, undefined);
    } finally {
      lock.release();
      client.close();
    }
    const res = await fetch(`${collector.apiUrl}/v1/decisions/backpressure-grpc`);
    assert.equal(res.status, 200);
  });
});
