import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CANONICAL_EVENT_TYPES, applyEvent, parseCanonicalEvents, type DecisionRecord } from '@decision-trace/model';
import { REPO_ROOT, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { exportLikeJava, type CanonicalEventJson } from './helpers/java-otel-projection.js';
import { pythonPeer } from './helpers/python-peer.js';

/**
 * The three OpenTelemetry projections of the upstream Decision Trace SDKs give the record that
 * the canonical-events path gives, field by field, with the real clients:
 *
 * - the Python SDK's OTelExporter (decision-trace 0.1.1, opentelemetry-sdk, OTLP/HTTP exporter);
 * - the per-event mapping of the upstream docs (docs/otel-mapping-notes.md), as a Python SDK
 *   exporter of ours (test/fixtures/python/docs_mapping_exporter.py) on the same OTel SDK;
 * - the Java SDK's OpenTelemetryDecisionExporter, replayed with the OTel JS SDK from its code
 *   (test/helpers/java-otel-projection.ts), over the events the Python SDK wrote.
 *
 * One Python run (test/fixtures/python/projections.py) sends the same decisions down every
 * path; each path has a collector of its own, so the records cannot mix.
 */
const peer = pythonPeer();
const execFileAsync = promisify(execFile);
const DRIVER = join(REPO_ROOT, 'test/fixtures/python/projections.py');

type StoredRecord = Record<string, unknown> & { events: Array<Record<string, unknown>> };

async function record(collector: RunningCollector, id: string): Promise<StoredRecord> {
  const res = await fetch(`${collector.apiUrl}/v1/decisions/${encodeURIComponent(id)}`);
  assert.equal(res.status, 200, `decision ${id}: ${await res.clone().text()}\n${collector.logs()}`);
  return (await res.json()) as StoredRecord;
}

function millis(value: unknown): number {
  return Date.parse(String(value));
}

/** An RFC 3339 instant in microseconds, so equal instants compare equal however spelled. */
function micros(value: unknown): bigint {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(String(value));
  assert.ok(match, `not an RFC 3339 instant: ${String(value)}`);
  return BigInt(Date.parse(match[1] + match[3])) * 1000n + BigInt((match[2] ?? '').slice(0, 6).padEnd(6, '0'));
}

/** Record times compared as instants, at the precision both paths keep. */
function sameTimes(reference: StoredRecord): Partial<Record<string, (value: unknown) => void>> {
  const same = (field: string) => (value: unknown) => assert.equal(micros(value), micros(reference[field]), `${String(value)} vs ${String(reference[field])}`);
  return { start_time: same('start_time'), end_time: same('end_time'), updated_at: same('updated_at') };
}

/** The projection's end is the SDK's flush: at or after the last event, and soon after it. */
function assertAtOrAfter(value: unknown, reference: unknown): void {
  const delta = millis(value) - millis(reference);
  assert.ok(delta > -1 && delta < 30_000, `${String(value)} is not just after ${String(reference)}`);
}

/**
 * Every field of the record: equal to the canonical path's, or checked by the rule given for
 * it (each rule says why that field legitimately differs). A field missing from either side
 * fails, so a new record field must be thought about here.
 */
function compareRecords(label: string, projected: StoredRecord, reference: StoredRecord, differs: Partial<Record<string, (value: unknown) => void>>): void {
  const { events: _projectedEvents, ...projectedFields } = projected;
  const { events: _referenceEvents, ...referenceFields } = reference;
  assert.deepEqual(Object.keys(projectedFields).sort(), Object.keys(referenceFields).sort(), `${label}: the same fields`);
  const mismatches: string[] = [];
  for (const [field, value] of Object.entries(projectedFields)) {
    const rule = differs[field];
    try {
      if (rule) rule(value);
      else assert.deepEqual(value, referenceFields[field]);
    } catch (error) {
      mismatches.push(`record.${field}: ${(error as Error).message}`);
    }
  }
  assert.deepEqual(mismatches, [], `${label}: ${mismatches.length} field mismatches`);
}

/** The record the canonical path gives for these events, folded here with the model. */
function localRecord(events: unknown[]): DecisionRecord {
  const parsed = parseCanonicalEvents(events);
  assert.deepEqual(parsed.errors, []);
  let folded: DecisionRecord | undefined;
  for (const event of parsed.events) folded = applyEvent(folded, event);
  assert.ok(folded);
  return folded;
}

/**
 * What the Python SDK's OTelExporter sends of these events (decision_trace/exporters/otel.py):
 * start with tenant, environment, trace id, actor id/type/org; evidence whose value is not
 * None; each policy's last result; the outcome; an error's message and type. No parent, no
 * causal links, no actor version, no actions, approvals or evaluations, no policy inputs.
 */
function carriedByPythonOtelExporter(events: CanonicalEventJson[]): CanonicalEventJson[] {
  const strip = (event: CanonicalEventJson, payload: Record<string, unknown>): CanonicalEventJson => ({
    ...event,
    parent_decision_id: null,
    causal_links: null,
    actor: { id: event.actor.id, type: event.actor.type, org: event.actor.org ?? null },
    payload,
  });
  const lastPolicy = new Map<string, CanonicalEventJson>();
  const out: CanonicalEventJson[] = [];
  for (const event of events) {
    const p = event.payload;
    switch (event.event_type) {
      case 'decision.start':
        out.push(strip(event, {}));
        break;
      case 'decision.evidence':
        if (p.value !== null && p.value !== undefined) out.push(strip(event, { key: p.key, value: p.value }));
        break;
      case 'decision.policy_check': {
        const first = !lastPolicy.has(String(p.policy));
        lastPolicy.set(String(p.policy), strip(event, { policy: p.policy, result: p.result }));
        if (first) out.push(lastPolicy.get(String(p.policy))!);
        else out[out.findIndex((e) => e.event_type === 'decision.policy_check' && e.payload.policy === p.policy)] = lastPolicy.get(String(p.policy))!;
        break;
      }
      case 'decision.outcome':
        out.push(strip(event, { status: p.status }));
        break;
      case 'decision.error':
        out.push(strip(event, { message: p.message ?? 'Unknown error', error_type: p.error_type ?? 'Error' }));
        break;
    }
  }
  return out;
}

/** What the docs mapping sends: every event, its scalar payload fields; no causal links. */
function carriedByDocsMapping(events: CanonicalEventJson[]): CanonicalEventJson[] {
  return events.map((event) => ({
    ...event,
    causal_links: null,
    payload: Object.fromEntries(Object.entries(event.payload).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value))),
  }));
}

describe("the Decision Trace SDKs' OpenTelemetry projections", { skip: peer.skip }, () => {
  let canonical: RunningCollector;
  let pythonOtel: RunningCollector;
  let docsMapping: RunningCollector;
  let java: RunningCollector;
  let ids: Record<string, string>;
  let written: CanonicalEventJson[];
  let driverStderr: string;

  before(async () => {
    // One after the other: four collectors compiling at once overrun the start deadline on 2 cores.
    canonical = await startCollector();
    pythonOtel = await startCollector();
    docsMapping = await startCollector();
    java = await startCollector();
    const jsonl = join(mkdtempSync(join(tmpdir(), 'dt-projections-')), 'events.jsonl');
    const { stdout, stderr } = await execFileAsync(peer.skip === undefined ? peer.python : 'python3', [
      DRIVER,
      '--jsonl',
      jsonl,
      '--events-url',
      canonical.apiUrl,
      '--otel-exporter-endpoint',
      pythonOtel.otlpHttpUrl,
      '--docs-mapping-endpoint',
      docsMapping.otlpHttpUrl,
    ]);
    ids = JSON.parse(stdout) as Record<string, string>;
    driverStderr = stderr;
    written = readFileSync(jsonl, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as CanonicalEventJson);

    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'java-otel-exporter' }),
      // One request in the SDK's order, as a Java app's batch processor sends them.
      spanProcessors: [
        new BatchSpanProcessor(new OTLPTraceExporter({ url: `${java.otlpHttpUrl}/v1/traces` }), { maxExportBatchSize: 1000, maxQueueSize: 1000 }),
      ],
    });
    const tracer = provider.getTracer('decision-trace');
    for (const event of written) exportLikeJava(tracer, event);
    await provider.forceFlush();
    await provider.shutdown();
  });
  after(async () => {
    await Promise.all([canonical, pythonOtel, docsMapping, java].map((c) => c?.stop()));
  });

  test('the SDK wrote every event type, and the canonical path stored every event it wrote', async () => {
    assert.equal(driverStderr.match(/\[DecisionTrace\]/g), null, `the SDK reported exporter failures:\n${driverStderr}`);
    assert.equal(/Failed to export/.test(driverStderr), false, `the OTLP exporter failed:\n${driverStderr}`);
    assert.deepEqual(
      [...new Set(written.map((event) => event.event_type))].sort(),
      [...CANONICAL_EVENT_TYPES].sort(),
      'the driver exercises every schema 1.0 event type',
    );
    for (const id of Object.values(ids)) {
      const stored = await record(canonical, id);
      const mine = written.filter((event) => event.decision_id === id);
      assert.deepEqual(stored.events.map((row) => (row.event as { event_id: string }).event_id).sort(), mine.map((e) => e.event_id).sort());
    }
  });

  test("Python SDK's OTelExporter: the same record as the canonical path, except what that exporter never sends", async () => {
    for (const [name, id] of Object.entries(ids)) {
      const reference = await record(canonical, id);
      const projected = await record(pythonOtel, id);
      const mine = written.filter((event) => event.decision_id === id);
      const carried = localRecord(carriedByPythonOtelExporter(mine));
      compareRecords(`${name} (python OTelExporter)`, projected, reference, {
        // The span's own id; the canonical path has no span.
        span_id: (value) => assert.match(String(value), /^[0-9a-f]{16}$/),
        service_name: (value) => assert.equal(value, 'python-otel-exporter'),
        // One span gives one event per attribute it carries.
        event_count: (value) => assert.equal(value, carried.event_count),
        // Not projected by the exporter: parent, causal links, actor version, actions,
        // approvals, evaluations, policy inputs and repeated checks, extra error fields.
        parent_decision_id: (value) => assert.equal(value, carried.parent_decision_id),
        causal_links: (value) => assert.deepEqual(value, carried.causal_links),
        actor: (value) => assert.deepEqual(value, carried.actor),
        actions: (value) => assert.deepEqual(value, carried.actions),
        approvals: (value) => assert.deepEqual(value, carried.approvals),
        evaluations: (value) => assert.deepEqual(value, carried.evaluations),
        policy_checks: (value) => assert.deepEqual(value, carried.policy_checks),
        error: (value) => assert.deepEqual(value, carried.error),
        // Evidence whose value is None is not sent.
        evidence: (value) => assert.deepEqual(value, carried.evidence),
        // The span starts at decision.start's time, converted through a float by the SDK
        // (sub-microsecond error), and ends at the SDK's flush, after the last event.
        start_time: (value) => assert.ok(Math.abs(millis(value) - millis(reference.start_time)) <= 1, `start ${value} vs ${reference.start_time}`),
        end_time: (value) => assertAtOrAfter(value, reference.end_time),
        updated_at: (value) => assertAtOrAfter(value, reference.updated_at),
        duration_ms: (value) => assert.ok(Number(value) >= Number(reference.duration_ms) - 1, `duration ${value} vs ${reference.duration_ms}`),
      });
    }
  });

  test('docs mapping (one span per event, dt.payload.<scalar>): the same record, except non-scalar payload values and causal links', async () => {
    for (const [name, id] of Object.entries(ids)) {
      const reference = await record(canonical, id);
      const projected = await record(docsMapping, id);
      const carried = localRecord(carriedByDocsMapping(written.filter((event) => event.decision_id === id)));
      compareRecords(`${name} (docs mapping)`, projected, reference, {
        ...sameTimes(reference),
        span_id: (value) => assert.match(String(value), /^[0-9a-f]{16}$/),
        service_name: (value) => assert.equal(value, 'python-docs-mapping'),
        causal_links: (value) => assert.deepEqual(value, carried.causal_links),
        evidence: (value) => assert.deepEqual(value, carried.evidence),
        policy_checks: (value) => assert.deepEqual(value, carried.policy_checks),
        actions: (value) => assert.deepEqual(value, carried.actions),
        approvals: (value) => assert.deepEqual(value, carried.approvals),
        evaluations: (value) => assert.deepEqual(value, carried.evaluations),
        error: (value) => assert.deepEqual(value, carried.error),
      });
    }
  });

  test("Java SDK's OpenTelemetryDecisionExporter (replayed with the OTel JS SDK): the same record, field by field", async () => {
    for (const [name, id] of Object.entries(ids)) {
      const reference = await record(canonical, id);
      const projected = await record(java, id);
      compareRecords(`${name} (java exporter)`, projected, reference, {
        ...sameTimes(reference),
        span_id: (value) => assert.match(String(value), /^[0-9a-f]{16}$/),
        service_name: (value) => assert.equal(value, 'java-otel-exporter'),
      });
      // Every event of the decision, with its own id, type, time and exact payload.
      const events = (rows: StoredRecord) =>
        rows.events.map(({ event }) => {
          const e = event as Record<string, unknown>;
          return [e.event_id, e.event_type, micros(e.timestamp), e.payload, e.causal_links];
        });
      assert.deepEqual(events(projected), events(reference), `${name}: ledger events`);
    }
  });
});
