import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { PipelineError, offlineHost } from '@decision-trace/collector';
import { RetrySchedule } from '../src/exporter-helper/backoff.js';
import { DEFAULT_RETRY, DEFAULT_SENDING_QUEUE, type RetryConfig } from '../src/exporter-helper/config.js';
import { deliverWithRetry, type DeliveryClock } from '../src/exporter-helper/deliver.js';
import { ExportError } from '../src/exporter-helper/export-error.js';
import type { ExportRequest, RequestSender, SendOutcome } from '../src/exporter-helper/export-request.js';
import { FileQueueJournal } from '../src/exporter-helper/file-journal.js';
import { encodeFrame } from '../src/exporter-helper/journal-format.js';
import { QueuedExporter } from '../src/exporter-helper/queued-exporter.js';
import { parseRetryAfter } from '../src/exporter-helper/retry-after.js';
import { BODIES_IN_MEMORY, QueueFullError, SendingQueue } from '../src/exporter-helper/sending-queue.js';
import type { Host, TraceBatch } from '../src/component/component.js';

const silent = pino({ level: 'silent' });
const request = (items: number, carriesDecisions = false, text = 'x'): ExportRequest => ({ body: Buffer.from(text), items, carriesDecisions });

describe('retry schedule (retry_on_failure)', () => {
  test('grows by the multiplier up to max_interval, jittered by randomization_factor', () => {
    const middle = new RetrySchedule(DEFAULT_RETRY, 0, () => 0.5);
    const waits = Array.from({ length: 7 }, () => middle.next(0));
    assert.deepEqual(waits, [5000, 7500, 11250, 16875, 25312.5, 30000, 30000]);
    const low = new RetrySchedule(DEFAULT_RETRY, 0, () => 0);
    const high = new RetrySchedule(DEFAULT_RETRY, 0, () => 1);
    assert.equal(low.next(0), 2500, 'interval × (1 − 0.5)');
    assert.equal(high.next(0), 7500, 'interval × (1 + 0.5)');
  });

  test('a longer server-requested wait (Retry-After, RetryInfo) wins', () => {
    const schedule = new RetrySchedule(DEFAULT_RETRY, 0, () => 0.5);
    assert.equal(schedule.next(0, 12_000), 12_000);
    assert.equal(schedule.next(0, 1_000), 7500, 'a shorter one does not shorten the backoff');
  });

  test('stops once the next attempt would start after max_elapsed_time; 0 never stops', () => {
    const config: RetryConfig = { ...DEFAULT_RETRY, max_elapsed_time: 20_000 };
    const schedule = new RetrySchedule(config, 1_000, () => 0.5);
    assert.equal(schedule.next(1_000), 5000);
    assert.equal(schedule.next(6_000), 7500);
    assert.equal(schedule.next(13_500), undefined, '13.5 s + 11.25 s is past 1 s + 20 s');
    const forever = new RetrySchedule({ ...DEFAULT_RETRY, max_elapsed_time: 0 }, 0, () => 0.5);
    assert.equal(forever.next(1e12), 5000);
    assert.equal(new RetrySchedule({ ...DEFAULT_RETRY, enabled: false }, 0).next(0), undefined);
    assert.equal(new RetrySchedule(config, 0, () => 0.5).next(0, 60_000), undefined, 'a Retry-After beyond the budget gives up');
  });

  test('Retry-After: delay-seconds or HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter(['3', '9'], now), 3000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

/** A clock whose sleeps return at once and are recorded. */
function fakeClock(): DeliveryClock & { sleeps: number[] } {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms, signal) {
      if (signal.aborted) return false;
      sleeps.push(ms);
      now += ms;
      return true;
    },
  };
}

function scriptedSender(script: Array<Error | SendOutcome | undefined>): RequestSender & { calls: number } {
  const sender = {
    calls: 0,
    async send() {
      const step = script[Math.min(sender.calls, script.length - 1)];
      sender.calls += 1;
      if (step instanceof Error) throw step;
      return step;
    },
  };
  return sender;
}

describe('delivery with retries', () => {
  const retry: RetryConfig = { ...DEFAULT_RETRY, initial_interval: 100, max_interval: 400, max_elapsed_time: 10_000 };

  test('retryable failures (network errors too) are retried on the schedule until one succeeds', async () => {
    const clock = fakeClock();
    const sender = scriptedSender([new Error('ECONNREFUSED'), ExportError.retryable('503'), undefined]);
    const result = await deliverWithRetry(Buffer.from('x'), { sender, retry, timeoutMs: 1000, signal: new AbortController().signal, clock, random: () => 0.5 });
    assert.equal(result.status, 'sent');
    assert.equal(result.attempts, 3);
    assert.deepEqual(clock.sleeps, [100, 150]);
  });

  test('a permanent failure is not retried', async () => {
    const clock = fakeClock();
    const sender = scriptedSender([ExportError.permanent('400 bad request')]);
    const result = await deliverWithRetry(Buffer.from('x'), { sender, retry, timeoutMs: 1000, signal: new AbortController().signal, clock });
    assert.equal(result.status, 'failed');
    assert.equal(result.status === 'failed' && result.permanent, true);
    assert.equal(sender.calls, 1);
    assert.deepEqual(clock.sleeps, []);
  });

  test('throttling from the destination is honoured; retries end at max_elapsed_time', async () => {
    const clock = fakeClock();
    const sender = scriptedSender([ExportError.retryable('429', { throttleMs: 3_000 })]);
    const failures: Array<number | undefined> = [];
    const result = await deliverWithRetry(Buffer.from('x'), {
      sender,
      retry,
      timeoutMs: 1000,
      signal: new AbortController().signal,
      clock,
      random: () => 0.5,
      onAttemptFailed: (_e, _a, wait) => failures.push(wait),
    });
    assert.equal(result.status, 'failed');
    assert.equal(result.status === 'failed' && result.permanent, false);
    assert.deepEqual(clock.sleeps, [3000, 3000, 3000], "each wait is the server's 3 s, until 10 s are spent");
    assert.deepEqual(failures, [3000, 3000, 3000, undefined]);
  });

  test('shutdown interrupts a delivery waiting to retry', async () => {
    const controller = new AbortController();
    const sender = scriptedSender([ExportError.retryable('503')]);
    const pending = deliverWithRetry(Buffer.from('x'), {
      sender,
      retry: { ...retry, initial_interval: 60_000, max_interval: 60_000, max_elapsed_time: 0 },
      timeoutMs: 1000,
      signal: controller.signal,
    });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    assert.equal((await pending).status, 'aborted');
  });

  test('an attempt that exceeds the timeout is abandoned and retried', async () => {
    let calls = 0;
    const sender: RequestSender = {
      send(_body, signal) {
        calls += 1;
        if (calls > 1) return Promise.resolve();
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      },
    };
    const result = await deliverWithRetry(Buffer.from('x'), { sender, retry, timeoutMs: 30, signal: new AbortController().signal, clock: fakeClock() });
    assert.equal(result.status, 'sent');
    assert.equal(calls, 2);
  });
});

describe('sending queue', () => {
  const refuse = { block: false, dropContext: false };

  test('refuses when full, counting requests or items; a request larger than the queue is refused for good', async () => {
    const byRequests = new SendingQueue(2, 'requests');
    await byRequests.offer(request(100), refuse);
    await byRequests.offer(request(100), refuse);
    await assert.rejects(byRequests.offer(request(1), refuse), (e: unknown) => e instanceof QueueFullError && !e.permanent);
    const byItems = new SendingQueue(10, 'items');
    await byItems.offer(request(6), refuse);
    await assert.rejects(byItems.offer(request(5), refuse), QueueFullError);
    await byItems.offer(request(4), refuse);
    assert.equal(byItems.size, 10);
    await assert.rejects(new SendingQueue(10, 'items').offer(request(11), refuse), (e: unknown) => e instanceof QueueFullError && e.permanent);
  });

  test('FIFO; a taken request no longer counts against the capacity', async () => {
    const queue = new SendingQueue(1, 'requests');
    await queue.offer(request(1, false, 'a'), refuse);
    const first = await queue.take();
    assert.equal(first?.request.body.toString(), 'a');
    await queue.offer(request(1, false, 'b'), refuse);
    assert.equal(queue.size, 1);
    const waiting = queue.take();
    assert.equal((await waiting)?.request.body.toString(), 'b');
  });

  test('block_on_overflow waits for room instead of refusing', async () => {
    const queue = new SendingQueue(1, 'requests');
    await queue.offer(request(1, false, 'a'), refuse);
    let queued = false;
    const blocked = queue.offer(request(1, false, 'b'), { block: true, dropContext: false }).then(() => (queued = true));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(queued, false);
    await queue.take();
    await blocked;
    assert.equal(queued, true);
  });

  test('drop_context_on_overflow drops context, evicts context for decision data, and never drops decisions', async () => {
    const queue = new SendingQueue(2, 'requests');
    const policy = { block: false, dropContext: true };
    await queue.offer(request(1, false, 'context-1'), policy);
    await queue.offer(request(1, true, 'decision-1'), policy);
    assert.deepEqual(await queue.offer(request(1, false, 'context-2'), policy), { queued: false, dropped: true });
    const admitted = await queue.offer(request(1, true, 'decision-2'), policy);
    assert.ok(admitted.queued);
    assert.deepEqual(admitted.queued && admitted.evicted.map((e) => e.request.body.toString()), ['context-1']);
    await assert.rejects(queue.offer(request(1, true, 'decision-3'), policy), QueueFullError, 'no context left to evict');
    assert.equal((await queue.take())?.request.body.toString(), 'decision-1');
    assert.equal((await queue.take())?.request.body.toString(), 'decision-2');
  });
});

describe('sending queue: merging waiting requests', () => {
  const refuse = { block: false, dropContext: false };

  test('takes the requests waiting behind the first, in order, up to the items and bytes bounds', async () => {
    const queue = new SendingQueue(100, 'items');
    for (const [items, text] of [
      [3, 'a'],
      [3, 'bb'],
      [3, 'cc'],
      [1, 'd'],
      [1, 'e'],
    ] as const)
      await queue.offer(request(items, false, text), refuse);
    const first = (await queue.take())!;
    const byItems = queue.takeFollowers(first, { maxItems: 7, maxBytes: 100 });
    assert.deepEqual(
      byItems.map((e) => e.request.body.toString()),
      ['bb'],
      'a third request of 3 items would make 9 > 7',
    );
    assert.equal(queue.size, 5, 'the taken requests no longer count');
    const next = (await queue.take())!;
    const byBytes = queue.takeFollowers(next, { maxItems: 100, maxBytes: 3 });
    assert.deepEqual(
      byBytes.map((e) => e.request.body.toString()),
      ['d'],
      "'cc' + 'd' is 3 bytes; + 'e' would be 4",
    );
    assert.deepEqual(queue.takeFollowers((await queue.take())!, { maxItems: 100, maxBytes: 100 }), [], 'nothing waits: the request goes alone');
  });

  test('a merged send is one request of all their items; without concatenable bodies each goes alone', async () => {
    for (const concatenable of [true, false]) {
      const bodies: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const sender: RequestSender = {
        async send(body) {
          bodies.push(Buffer.from(body).toString());
          await gate;
        },
      };
      const host: Host = offlineHost();
      const exporter = new QueuedExporter({
        id: 'otlp',
        logger: silent,
        host,
        unit: 'spans',
        queue: { ...DEFAULT_SENDING_QUEUE, num_consumers: 1 },
        retry: DEFAULT_RETRY,
        timeoutMs: 1000,
        sender,
        concatenable,
        encode: (batch: TraceBatch) => ({ body: Buffer.from(String(batch.spanCount)), items: batch.spanCount, carriesDecisions: false }),
      });
      await exporter.start();
      await exporter.consumeTraces({ spanCount: 1, decisions: [], resourceSpans: [] } as unknown as TraceBatch);
      await new Promise((r) => setImmediate(r)); // the consumer takes the first request at the end of the turn
      for (const spanCount of [2, 3, 4]) await exporter.consumeTraces({ spanCount, decisions: [], resourceSpans: [] } as unknown as TraceBatch);
      release();
      await new Promise((r) => setTimeout(r, 20));
      await exporter.shutdown({ deadline: Date.now() + 1000 });
      assert.deepEqual(bodies, concatenable ? ['1', '234'] : ['1', '2', '3', '4']);
    }
  });

  test('requests that reach idle consumers in the same turn of the event loop go as one; a later one goes alone', async () => {
    for (const concatenable of [true, false]) {
      const bodies: string[] = [];
      const sender: RequestSender = {
        async send(body) {
          bodies.push(Buffer.from(body).toString());
        },
      };
      const exporter = new QueuedExporter({
        id: 'otlp',
        logger: silent,
        host: offlineHost(),
        unit: 'spans',
        queue: DEFAULT_SENDING_QUEUE, // 10 consumers, all idle
        retry: DEFAULT_RETRY,
        timeoutMs: 1000,
        sender,
        concatenable,
        encode: (batch: TraceBatch) => ({ body: Buffer.from(String(batch.spanCount)), items: batch.spanCount, carriesDecisions: false }),
      });
      await exporter.start();
      // As the receiver does when it reads several client requests in one go: all in one turn.
      await Promise.all([1, 2, 3, 4].map((spanCount) => exporter.consumeTraces({ spanCount, decisions: [], resourceSpans: [] } as unknown as TraceBatch)));
      await new Promise((r) => setTimeout(r, 20));
      await exporter.consumeTraces({ spanCount: 5, decisions: [], resourceSpans: [] } as unknown as TraceBatch);
      await new Promise((r) => setTimeout(r, 20));
      await exporter.shutdown({ deadline: Date.now() + 1000 });
      assert.deepEqual(bodies, concatenable ? ['1234', '5'] : ['1', '2', '3', '4', '5']);
    }
  });

  test('merged requests stay within the bounds when they arrive in one turn: the rest goes to the next idle consumer', async () => {
    const queue = new SendingQueue(100, 'items', undefined, true);
    const refuseNone = { block: false, dropContext: false };
    const takers = [queue.take(), queue.take()];
    for (const text of ['a', 'b', 'c', 'd']) await queue.offer(request(1, false, text), refuseNone);
    const first = (await takers[0])!;
    const followers = queue.takeFollowers(first, { maxItems: 3, maxBytes: 100 });
    assert.deepEqual(
      [first, ...followers].map((e) => e.request.body.toString()),
      ['a', 'b', 'c'],
    );
    assert.equal((await takers[1])!.request.body.toString(), 'd');
    assert.equal(queue.size, 0);
  });
});

describe('persistent queue journal', () => {
  test('what was appended and not removed survives a crash, in order; removed requests do not come back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    const first = new FileQueueJournal(dir, silent);
    assert.deepEqual(await first.recover(), { requests: [], nextId: 1, lost: { requests: 0, bytes: 0 } });
    for (let id = 1; id <= 5; id++) await first.append(id, request(id, id % 2 === 0, `body-${id}`));
    first.remove(2);
    first.remove(4);
    await new Promise((r) => setTimeout(r, 50)); // acknowledgements are written lazily
    // No close(): the process "dies" here.
    const second = new FileQueueJournal(dir, silent);
    const { requests, nextId } = await second.recover();
    assert.equal(nextId, 6);
    assert.deepEqual(
      requests.map((r) => [r.id, r.request.body.toString(), r.request.items, r.request.carriesDecisions]),
      [
        [1, 'body-1', 1, false],
        [3, 'body-3', 3, false],
        [5, 'body-5', 5, false],
      ],
    );
    await second.close();
  });

  test('a torn write at the end of a segment is ignored, the frames before it are kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    const journal = new FileQueueJournal(dir, silent);
    await journal.recover();
    await journal.append(1, request(1, false, 'complete'));
    const segment = readdirSync(dir).find((f) => f.endsWith('.log'))!;
    appendFileSync(join(dir, segment), Buffer.from([9, 0, 0, 0, 1, 2, 3])); // half a frame header
    const recovered = await new FileQueueJournal(dir, silent).recover();
    assert.deepEqual(
      recovered.requests.map((r) => r.request.body.toString()),
      ['complete'],
    );
  });

  test('a damaged frame (checksum mismatch) is not delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    const journal = new FileQueueJournal(dir, silent);
    await journal.recover();
    await journal.append(1, request(1, false, 'good'));
    await journal.append(2, request(1, false, 'evil'));
    const segment = join(
      dir,
      readdirSync(dir).find((f) => f.endsWith('.log'))!,
    );
    const bytes = (await import('node:fs')).readFileSync(segment);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(segment, bytes);
    const recovered = await new FileQueueJournal(dir, silent).recover();
    assert.deepEqual(
      recovered.requests.map((r) => r.request.body.toString()),
      ['good'],
    );
  });

  test('frames are the request bytes as given; acknowledgements spread over segments and turns all survive a crash', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    const journal = new FileQueueJournal(dir, silent, 200);
    await journal.recover();
    // A body that is a view into a larger buffer: the frame holds exactly the view's bytes.
    const backing = Buffer.from('<before>' + 'v'.repeat(90) + '<after>');
    const requests = Array.from({ length: 12 }, (_, i) => ({
      ...request(i + 1, i % 3 === 0),
      body: i === 0 ? backing.subarray(8, 98) : Buffer.from(`body-${i + 1}-`.padEnd(90, 'z')),
    }));
    for (const [i, r] of requests.entries()) await journal.append(i + 1, r);
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    assert.ok(segments.length >= 3, `small segments rotate (${segments.length})`);
    assert.deepEqual(Buffer.concat(segments.map((f) => readFileSync(join(dir, f)))), Buffer.concat(requests.map((r, i) => encodeFrame(i + 1, r))));
    // Delivered out of order, over several turns: acknowledgements go to one segment, another, and back.
    for (const ids of [[1], [5, 9], [2], [6], [10, 3], [11]]) {
      for (const id of ids) journal.remove(id);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50)); // acknowledgements are written lazily
    const openAckFiles = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir) && readlinkSync(`/proc/self/fd/${fd}`).endsWith('.ack');
      } catch {
        return false;
      }
    });
    assert.ok(openAckFiles.length <= 1, `one acknowledgement file open at most, not ${openAckFiles.length}`);
    // No close(): the process "dies" here.
    const { requests: recovered } = await new FileQueueJournal(dir, silent).recover();
    assert.deepEqual(
      recovered.map((r) => [r.id, Buffer.from(r.request.body).toString()]),
      [4, 7, 8, 12].map((id) => [id, `body-${id}-`.padEnd(90, 'z')]),
    );
  });

  test('segments whose requests were all delivered are deleted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    const journal = new FileQueueJournal(dir, silent, 64);
    await journal.recover();
    for (let id = 1; id <= 6; id++) await journal.append(id, request(1, false, 'x'.repeat(40)));
    const before = readdirSync(dir).filter((f) => f.endsWith('.log')).length;
    assert.ok(before >= 3, `small segments rotate (${before})`);
    for (let id = 1; id <= 6; id++) journal.remove(id);
    await journal.close();
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.log')).length, 1, 'only the active segment is left');
    assert.deepEqual((await new FileQueueJournal(dir, silent).recover()).requests, []);
  });

  test('a long queue keeps only the first bodies in memory and reads the others back from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    const total = BODIES_IN_MEMORY + 10;
    const queue = new SendingQueue(1000, 'requests', new FileQueueJournal(dir, silent));
    await queue.open();
    for (let i = 0; i < total; i++) await queue.offer(request(1, false, `body-${i}`), { block: false, dropContext: false });
    const bodies: string[] = [];
    let onDisk = 0;
    for (let i = 0; i < BODIES_IN_MEMORY + 5; i++) {
      const entry = (await queue.take())!;
      if (entry.bodyOnDisk) onDisk += 1;
      bodies.push(Buffer.from(await queue.bodyOf(entry)).toString());
      queue.done(entry);
    }
    assert.equal(onDisk, 5, 'the requests queued behind the first ones were not held in memory');
    assert.deepEqual(
      bodies,
      Array.from({ length: BODIES_IN_MEMORY + 5 }, (_, i) => `body-${i}`),
    );
    await new Promise((r) => setTimeout(r, 20));

    // After a crash, the rest is recovered; again only the first bodies are loaded.
    const journal = new FileQueueJournal(dir, silent);
    const { requests } = await journal.recover(2);
    assert.deepEqual(
      requests.map((r) => r.bodyOnDisk),
      [false, false, true, true, true],
    );
    assert.equal(Buffer.from(await journal.read(requests[4].id)).toString(), `body-${total - 1}`);
    await journal.close();
  });

  test('one process per directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-'));
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    await assert.rejects(new FileQueueJournal(dir, silent).recover(), /in use by process/);
    writeFileSync(join(dir, 'LOCK'), '999999999');
    await new FileQueueJournal(dir, silent).recover(); // a dead holder's lock is taken over
  });
});

function batch(spans: number, decisions = 0): TraceBatch {
  return { resourceSpans: [], spanCount: spans, decisions: Array.from({ length: decisions }, () => ({}) as never) };
}

/** A sender that fails until told otherwise, recording what it was sent. */
function controllableSender() {
  let failure: Error | undefined = ExportError.retryable('down');
  const sent: string[] = [];
  const sender: RequestSender = {
    async send(body) {
      if (failure) throw failure;
      sent.push(Buffer.from(body).toString());
    },
  };
  return { sender, sent, fail: (e: Error | undefined) => (failure = e) };
}

describe('queued exporter', () => {
  const fastRetry: RetryConfig = { ...DEFAULT_RETRY, initial_interval: 5, max_interval: 10, max_elapsed_time: 0 };
  let serial = 0;
  const encode = (b: TraceBatch): ExportRequest | undefined =>
    b.spanCount === 0 ? undefined : { body: Buffer.from(`req-${++serial}`), items: b.spanCount, carriesDecisions: b.decisions.length > 0 };

  test('a full queue refuses with a retryable PipelineError; metrics account for every span', async () => {
    const host = offlineHost();
    const { sender, sent, fail } = controllableSender();
    const exporter = new QueuedExporter({
      id: 'otlphttp/x',
      logger: silent,
      host,
      unit: 'spans',
      queue: { ...DEFAULT_SENDING_QUEUE, queue_size: 2, num_consumers: 1 },
      retry: fastRetry,
      timeoutMs: 1000,
      encode,
      sender,
    });
    await exporter.start();
    await exporter.consumeTraces(batch(3)); // taken by the consumer, retrying
    await new Promise((r) => setTimeout(r, 5));
    await exporter.consumeTraces(batch(3));
    await exporter.consumeTraces(batch(3));
    await assert.rejects(exporter.consumeTraces(batch(4)), (e: unknown) => e instanceof PipelineError && e.retryable && e.retryAfterSeconds >= 1);
    await exporter.consumeTraces(batch(0)); // nothing to send: not even queued
    const value = (name: string) => host.metrics.valueOf(name, { exporter: 'otlphttp/x' });
    assert.equal(value('otelcol_exporter_accepted_spans_total'), 9);
    assert.equal(value('otelcol_exporter_enqueue_failed_spans_total'), 4);
    assert.equal(host.status.snapshot().get('exporters.otlphttp/x')?.state, 'failing');

    fail(undefined);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sent.length, 3);
    assert.equal(value('otelcol_exporter_sent_spans_total'), 9);
    assert.ok((value('otelcol_exporter_retries_total') ?? 0) >= 1);
    assert.equal(host.status.snapshot().get('exporters.otlphttp/x')?.state, 'ok');
    await exporter.shutdown({ deadline: Date.now() + 1000 });
  });

  test('permanent failures and rejections are counted as failed, not retried', async () => {
    const host = offlineHost();
    let calls = 0;
    const sender: RequestSender = {
      async send(body) {
        calls += 1;
        if (Buffer.from(body).toString().endsWith('1')) throw ExportError.permanent('400');
        return { rejectedItems: 2, message: 'bad ids' };
      },
    };
    const exporter = new QueuedExporter({
      id: 'otlp',
      logger: silent,
      host,
      unit: 'spans',
      queue: DEFAULT_SENDING_QUEUE,
      retry: fastRetry,
      timeoutMs: 1000,
      encode: (b) => ({ body: Buffer.from(`r${b.spanCount}`), items: b.spanCount, carriesDecisions: false }),
      sender,
    });
    await exporter.start();
    await exporter.consumeTraces(batch(1));
    await exporter.consumeTraces(batch(5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(calls, 2);
    assert.equal(host.metrics.valueOf('otelcol_exporter_send_failed_spans_total', { exporter: 'otlp' }), 1 + 2);
    assert.equal(host.metrics.valueOf('otelcol_exporter_sent_spans_total', { exporter: 'otlp' }), 3);
    await exporter.shutdown({ deadline: Date.now() });
  });

  test('shutdown flushes a memory queue until the deadline and counts what is left as dropped', async () => {
    const host = offlineHost();
    const { sender, sent, fail } = controllableSender();
    const exporter = new QueuedExporter({
      id: 'otlphttp',
      logger: silent,
      host,
      unit: 'spans',
      queue: { ...DEFAULT_SENDING_QUEUE, num_consumers: 1 },
      retry: fastRetry,
      timeoutMs: 1000,
      encode,
      sender,
    });
    await exporter.start();
    for (let i = 0; i < 3; i++) await exporter.consumeTraces(batch(2));
    setTimeout(() => fail(undefined), 50);
    await exporter.shutdown({ deadline: Date.now() + 2000 });
    assert.equal(sent.length, 3, 'flushed once the destination came back');

    const stuck = controllableSender();
    const host2 = offlineHost();
    const second = new QueuedExporter({
      id: 'otlphttp',
      logger: silent,
      host: host2,
      unit: 'spans',
      queue: { ...DEFAULT_SENDING_QUEUE, num_consumers: 1 },
      retry: fastRetry,
      timeoutMs: 1000,
      encode,
      sender: stuck.sender,
    });
    await second.start();
    for (let i = 0; i < 3; i++) await second.consumeTraces(batch(2));
    const started = Date.now();
    await second.shutdown({ deadline: Date.now() + 100 });
    assert.ok(Date.now() - started < 1000);
    assert.equal(host2.metrics.valueOf('otelcol_exporter_dropped_spans_total', { exporter: 'otlphttp' }), 6);
    await assert.rejects(second.consumeTraces(batch(1)), (e: unknown) => e instanceof PipelineError && e.retryable);
  });

  test('with storage, what shutdown could not deliver is sent after the next start', async () => {
    const storage = mkdtempSync(join(tmpdir(), 'dt-queue-'));
    const enqueued: string[] = [];
    const recordingEncode = (b: TraceBatch) => {
      const made = encode(b)!;
      enqueued.push(Buffer.from(made.body).toString());
      return made;
    };
    const make = (sender: RequestSender, host: Host) =>
      new QueuedExporter({
        id: 'decisions/remote',
        logger: silent,
        host,
        unit: 'decision_events',
        queue: { ...DEFAULT_SENDING_QUEUE, storage, num_consumers: 2 },
        retry: fastRetry,
        timeoutMs: 1000,
        encode: recordingEncode,
        sender,
      });
    const host = offlineHost();
    const first = make(controllableSender().sender, host);
    await first.start();
    for (let i = 0; i < 4; i++) await first.consumeTraces(batch(1, 1));
    await first.shutdown({ deadline: Date.now() + 50 });
    assert.equal(host.metrics.valueOf('otelcol_exporter_dropped_decision_events_total', { exporter: 'decisions/remote' }), 0, 'nothing is lost');
    assert.ok(readdirSync(join(storage, 'decisions~remote')).some((f) => f.endsWith('.log')));

    const working = controllableSender();
    working.fail(undefined);
    const second = make(working.sender, offlineHost());
    await second.start();
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...working.sent].sort(), [...enqueued].sort());
    await second.shutdown({ deadline: Date.now() + 100 });

    const third = controllableSender();
    third.fail(undefined);
    const again = make(third.sender, offlineHost());
    await again.start();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(third.sent, [], 'delivered requests are not sent again');
    await again.shutdown({ deadline: Date.now() });
  });

  test('drop_context_on_overflow: context is dropped and counted, decision data evicts it and is never dropped', async () => {
    const host = offlineHost();
    const { sender } = controllableSender();
    const exporter = new QueuedExporter({
      id: 'otlp',
      logger: silent,
      host,
      unit: 'spans',
      queue: { ...DEFAULT_SENDING_QUEUE, queue_size: 2, num_consumers: 1, drop_context_on_overflow: true },
      retry: fastRetry,
      timeoutMs: 1000,
      encode,
      sender,
    });
    await exporter.start();
    await exporter.consumeTraces(batch(1)); // with the consumer
    await new Promise((r) => setTimeout(r, 5));
    await exporter.consumeTraces(batch(2)); // context, queued
    await exporter.consumeTraces(batch(3, 1)); // decision data, queued
    await exporter.consumeTraces(batch(4)); // context: dropped, the client is not refused
    await exporter.consumeTraces(batch(5, 1)); // decision data: evicts the queued context request
    await assert.rejects(
      exporter.consumeTraces(batch(6, 1)),
      (e: unknown) => e instanceof PipelineError && e.retryable,
      'no context left to evict: refused, not dropped',
    );
    const value = (name: string) => host.metrics.valueOf(name, { exporter: 'otlp' });
    assert.equal(value('otelcol_exporter_dropped_spans_total'), 4 + 2);
    assert.equal(value('otelcol_exporter_enqueue_failed_spans_total'), 6);
    assert.equal(value('otelcol_exporter_accepted_spans_total'), 1 + 2 + 3 + 5);
    await exporter.shutdown({ deadline: Date.now() });
  });

  test('without a queue, consumeTraces delivers before resolving and reports failures to the caller', async () => {
    const host = offlineHost();
    const failing = controllableSender();
    failing.fail(ExportError.permanent('401 unauthorized'));
    const exporter = new QueuedExporter({
      id: 'otlp',
      logger: silent,
      host,
      unit: 'spans',
      queue: { ...DEFAULT_SENDING_QUEUE, enabled: false },
      retry: fastRetry,
      timeoutMs: 1000,
      encode,
      sender: failing.sender,
    });
    await exporter.start();
    await assert.rejects(exporter.consumeTraces(batch(2)), (e: unknown) => e instanceof PipelineError && !e.retryable);
    failing.fail(undefined);
    await exporter.consumeTraces(batch(2));
    assert.equal(failing.sent.length, 1);
    await exporter.shutdown();
  });
});
