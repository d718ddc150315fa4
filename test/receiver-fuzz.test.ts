import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { gzipSync } from 'node:zlib';
import { status as grpcStatus } from '@grpc/grpc-js';
import { MAX_NESTING_DEPTH, MAX_PAYLOAD_NESTING, type DecisionRecord } from '@decision-trace/model';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { deepNestingCases, fuzzCase, nestedObjectJson, seededRandom, type FuzzCase } from './helpers/fuzz-bodies.js';
import { decisionSpan, protobufBody, RawTraceServiceClient } from './helpers/otlp-requests.js';
import { rawRequest } from './helpers/raw-http.js';

// A fixed seed keeps the suite deterministic; DT_FUZZ_SEED replays or explores others.
const SEED = Number(process.env.DT_FUZZ_SEED ?? 20261122);
const HTTP_CASES = 4000;
const GRPC_CASES = 1500;
const BUDGET_MS = 20_000;
const CONCURRENCY = 8;
const HANG_MS = 10_000;

/** Client errors the receiver may answer a random body with; anything 5xx is a failure. */
const CLIENT_ANSWERS = new Set([200, 400, 413, 415]);

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms: ${what}`)), HANG_MS);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

describe(`fuzzing the running receiver (seed ${SEED})`, () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  async function assertHealthy(): Promise<void> {
    assert.equal(collector.process.exitCode, null, `the collector exited:\n${collector.logs()}`);
    const span = decisionSpan({ decisionId: `after-fuzz-${Math.random()}` });
    const res = await rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: protobufBody([span]) });
    assert.equal(res.status, 200, 'a valid request is still served');
    const records = await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${span.traceId}`).then((r) => r.json() as Promise<{ decisions: DecisionRecord[] }>);
    assert.equal(records.decisions.length, 1, 'and still becomes a record');
  }

  test(`${HTTP_CASES} random and mutated OTLP/HTTP bodies: no crash, no hang, no 5xx`, async (t) => {
    const random = seededRandom(SEED);
    const cases: FuzzCase[] = Array.from({ length: HTTP_CASES }, () => fuzzCase(random));
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const counts = new Map<number, number>();
    const failures: string[] = [];
    const deadline = Date.now() + BUDGET_MS;
    let next = 0;
    let sent = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length && Date.now() < deadline) {
          const index = next++;
          const c = cases[index];
          const headers: Record<string, string> = { 'content-type': c.contentType };
          if (c.contentEncoding) headers['content-encoding'] = c.contentEncoding;
          const res = await withTimeout(rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers, body: c.body, agent }), `case ${index} (${c.origin})`);
          sent++;
          counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
          if (!CLIENT_ANSWERS.has(res.status)) failures.push(`case ${index} (${c.origin}): ${res.status} ${res.body.toString('utf8').slice(0, 300)}`);
          else if (res.status !== 200 && res.body.length === 0) failures.push(`case ${index} (${c.origin}): ${res.status} without a message`);
        }
      }),
    );
    agent.destroy();
    t.diagnostic(
      `sent ${sent} bodies; answers: ${[...counts]
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}`,
    );
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} bad answers`);
    assert.ok(sent >= 500, `at least 500 bodies were sent within the budget (sent ${sent})`);
    assert.ok((counts.get(200) ?? 0) > 0 && (counts.get(400) ?? 0) > 0, 'the corpus reaches both the decoder errors and the pipeline');
    await assertHealthy();
  });

  test(`${GRPC_CASES} mutated OTLP/gRPC messages: only OK, INVALID_ARGUMENT or RESOURCE_EXHAUSTED`, async (t) => {
    const random = seededRandom(SEED + 1);
    const clients = Array.from({ length: 2 }, (_, i) => new RawTraceServiceClient(collector.grpcEndpoint, { gzip: i === 1 }));
    const allowed = new Set([grpcStatus.OK, grpcStatus.INVALID_ARGUMENT, grpcStatus.RESOURCE_EXHAUSTED]);
    const counts = new Map<string, number>();
    const failures: string[] = [];
    const deadline = Date.now() + BUDGET_MS / 2;
    let next = 0;
    try {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, worker) => {
          while (next < GRPC_CASES && Date.now() < deadline) {
            const index = next++;
            let c = fuzzCase(random);
            while (c.contentType !== 'application/x-protobuf' || c.contentEncoding) c = fuzzCase(random);
            const answer = await withTimeout(clients[worker % 2].export(c.body), `grpc case ${index} (${c.origin})`);
            const code = answer.error?.code ?? grpcStatus.OK;
            counts.set(grpcStatus[code], (counts.get(grpcStatus[code]) ?? 0) + 1);
            if (!allowed.has(code)) failures.push(`grpc case ${index} (${c.origin}): ${grpcStatus[code]} ${answer.error?.details}`);
          }
        }),
      );
    } finally {
      for (const client of clients) client.close();
    }
    t.diagnostic(`answers: ${[...counts].map(([s, n]) => `${s}×${n}`).join(', ')}`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} bad answers`);
    await assertHealthy();
  });

  test(`values nested past ${MAX_NESTING_DEPTH} levels on every input path: client errors, and every read still answers`, async () => {
    const cases = deepNestingCases(MAX_NESTING_DEPTH);
    const grpc = new RawTraceServiceClient(collector.grpcEndpoint, { gzip: true });
    const failures: string[] = [];
    try {
      for (const [index, c] of cases.entries()) {
        // Compressed too: the limit holds after decompression.
        const gzip = index % 2 === 1;
        const headers: Record<string, string> = { 'content-type': c.contentType, ...(gzip ? { 'content-encoding': 'gzip' } : {}) };
        const res = await withTimeout(rawRequest(`${collector.otlpHttpUrl}/v1/traces`, { headers, body: gzip ? gzipSync(c.body) : c.body }), c.origin);
        if (res.status !== 400) failures.push(`${c.origin}: HTTP ${res.status}`);
        if (c.protobuf) {
          const answer = await withTimeout(grpc.export(c.body), `grpc ${c.origin}`);
          if (answer.error?.code !== grpcStatus.INVALID_ARGUMENT) failures.push(`${c.origin}: gRPC ${grpcStatus[answer.error?.code ?? grpcStatus.OK]}`);
        }
      }
      for (const levels of [MAX_PAYLOAD_NESTING + 1, 3_000, 50_000]) {
        const body = `[{"tenant_id":"t","event_id":"deep-${levels}","decision_id":"deep","event_type":"evidence","timestamp":"2026-11-20T10:00:00.000Z","payload":{"key":"k","value":${nestedObjectJson(levels)}}}]`;
        const res = await withTimeout(
          rawRequest(`${collector.apiUrl}/v1/events`, { headers: { 'content-type': 'application/json' }, body: Buffer.from(body) }),
          `/v1/events ${levels} deep`,
        );
        if (res.status !== 400) failures.push(`/v1/events payload ${levels} deep: HTTP ${res.status}`);
      }
    } finally {
      grpc.close();
    }
    assert.deepEqual(failures, []);
    const reads = await withTimeout(fetch(`${collector.apiUrl}/v1/decisions?limit=1000`), 'GET /v1/decisions');
    assert.equal(reads.status, 200);
    await assertHealthy();
  });
});
