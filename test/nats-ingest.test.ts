import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@decision-trace/store';
import { freePort } from './helpers/free-port.js';
import { consumerBacklog, deleteStream, NATS_URL, natsUnavailable, startWriter, uniqueStream, type WriterProcess } from './helpers/nats.js';
import { eventually, launchCollector, makeTraffic, postTraces, type CollectorProcess } from './delivery-sink.js';

const DURABLE = 'decision-trace-writers';
const unavailable = await natsUnavailable();
if (unavailable) process.stderr.write(`# skipping the NATS tests: ${unavailable}\n`);

/** A collector whose `decisions` exporter publishes to the stream; returns its OTLP/HTTP URL. */
async function natsCollector(dir: string, nats: { url: string; stream: string; subject: string }): Promise<{ url: string; process: CollectorProcess }> {
  const [http, health] = [await freePort(), await freePort()];
  const file = join(dir, `collector-${http}.yaml`);
  writeFileSync(
    file,
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
processors:
  decision: {}
exporters:
  decisions:
    nats:
      url: ${nats.url}
      stream: ${nats.stream}
      subject: ${nats.subject}
      timeout: 2s
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
    check_collector_pipeline: { enabled: false }
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions]
  telemetry:
    logs: { level: warn }
    metrics: { level: none }
`,
  );
  return { url: `http://127.0.0.1:${http}`, process: await launchCollector(file, `http://127.0.0.1:${health}/`) };
}

/** What the store holds: decision ids (with their event counts) and the ledger's row count. */
async function storeContents(db: string): Promise<{ ids: Map<string, number>; ledgerRows: number; intact: boolean }> {
  const store = await openStore(`sqlite:${db}`, { thread: 'inline' });
  try {
    const ids = new Map<string, number>();
    let cursor: string | undefined;
    do {
      const page = await store.queryDecisions({ limit: 1000, cursor });
      for (const record of page.decisions) ids.set(record.id, record.event_count);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    const verification = await store.verifyLedger();
    return { ids, ledgerRows: verification.checked, intact: verification.ok };
  } catch {
    // The writers have not created the database yet.
    return { ids: new Map(), ledgerRows: 0, intact: true };
  } finally {
    await store.close();
  }
}

async function sendTraffic(url: string, requests: number, decisionsPerRequest: number, into: string[]): Promise<void> {
  for (let i = 0; i < requests; i++) {
    const traffic = makeTraffic(decisionsPerRequest + 1, decisionsPerRequest);
    const answer = await postTraces(url, traffic.body);
    assert.equal(answer.status, 200, 'acknowledged only once JetStream stored the decisions');
    into.push(...traffic.decisionIds);
  }
}

function assertExactlyOnce(contents: Awaited<ReturnType<typeof storeContents>>, expected: string[]): void {
  assert.equal(contents.ids.size, expected.length, 'as many records as decisions sent');
  for (const id of expected) assert.equal(contents.ids.get(id), 1, `decision ${id} stored once, with one event`);
  assert.equal(contents.ledgerRows, expected.length, 'no event twice in the ledger');
  assert.ok(contents.intact, 'the ledger verifies');
}

describe('NATS JetStream between collectors and store writers', { skip: unavailable }, () => {
  let dir: string;
  const cleanup: Array<() => Promise<unknown>> = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dt-nats-'));
  });
  after(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  test('collector → stream → 2 writers → store: every decision exactly once, the work shared', async () => {
    const target = uniqueStream('dt_share');
    cleanup.push(() => deleteStream(target.stream));
    const db = join(dir, 'shared.db');
    // The writers come first: they create the stream and their shared durable consumer.
    const writers: WriterProcess[] = [];
    for (let i = 0; i < 2; i++) writers.push(await startWriter({ ...target, storage: `sqlite:${db}`, extra: ['--batch', '5'] }));
    cleanup.push(() => Promise.all(writers.map((w) => w.kill9())));
    const collector = await natsCollector(dir, { url: NATS_URL, ...target });
    cleanup.push(() => collector.process.stop());

    const sent: string[] = [];
    await sendTraffic(collector.url, 120, 3, sent);
    assert.ok(await eventually(async () => (await storeContents(db)).ids.size === sent.length, 30_000), 'every decision reaches the store');
    assert.ok(await eventually(async () => (await consumerBacklog(target.stream, DURABLE)).ackPending === 0, 10_000), 'every message acknowledged');

    for (const writer of writers) assert.equal(await writer.stop(), 0);
    const totals = writers.map((w) => w.totals()!);
    assert.equal(totals[0].messages + totals[1].messages, 120, 'each message written by one writer');
    assert.ok(
      totals.every((t) => t.messages > 0),
      `both writers took a share: ${totals.map((t) => t.messages).join(' + ')}`,
    );
    assert.equal(totals[0].appended + totals[1].appended, sent.length);
    assertExactlyOnce(await storeContents(db), sent);
    const backlog = await consumerBacklog(target.stream, DURABLE);
    assert.deepEqual([backlog.pending, backlog.ackPending], [0, 0]);
  });

  test('a writer killed with SIGKILL while holding unacknowledged messages: nothing lost, nothing duplicated', async () => {
    const target = uniqueStream('dt_kill');
    cleanup.push(() => deleteStream(target.stream));
    const db = join(dir, 'kill.db');
    const writerArgs = { ...target, storage: `sqlite:${db}`, extra: ['--batch', '20', '--ack-wait', '3s'] };
    const victim = await startWriter(writerArgs);
    cleanup.push(() => victim.kill9());
    const collector = await natsCollector(dir, { url: NATS_URL, ...target });
    cleanup.push(() => collector.process.stop());

    const sent: string[] = [];
    const traffic = sendTraffic(collector.url, 200, 4, sent);
    // Freeze the only writer at a moment it holds messages it has not acknowledged, then kill it:
    // those messages are in the store or not, the writer never said.
    let held = 0;
    for (let tries = 0; held === 0 && tries < 400; tries++) {
      if ((await consumerBacklog(target.stream, DURABLE)).ackPending > 0) {
        victim.process.kill('SIGSTOP');
        held = (await consumerBacklog(target.stream, DURABLE)).ackPending;
        if (held === 0) victim.process.kill('SIGCONT');
      } else {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    assert.ok(held > 0, 'caught the writer holding unacknowledged messages');
    const storedAtKill = (await storeContents(db)).ids.size;
    await victim.kill9();

    const successor = await startWriter(writerArgs);
    cleanup.push(() => successor.kill9());
    await traffic;
    assert.ok(storedAtKill < sent.length, 'killed mid-run');
    assert.ok(await eventually(async () => (await storeContents(db)).ids.size === sent.length, 30_000), 'every decision reaches the store');
    assert.ok(await eventually(async () => (await consumerBacklog(target.stream, DURABLE)).ackPending === 0, 10_000));
    assert.equal(await successor.stop(), 0);

    assertExactlyOnce(await storeContents(db), sent);
  });

  test('the exporter acknowledges only what the stream stored: an unreachable server means 503, not 200', async () => {
    const port = await freePort();
    const collector = await natsCollector(dir, { url: `nats://127.0.0.1:${port}`, stream: 'DT_NOWHERE', subject: 'dt.nowhere' });
    cleanup.push(() => collector.process.stop());
    const answer = await postTraces(collector.url, makeTraffic(2, 1).body);
    assert.equal(answer.status, 503);
    assert.ok(answer.retryAfter !== null, 'the client is told when to retry');
  });
});
