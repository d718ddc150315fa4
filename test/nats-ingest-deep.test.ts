import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { openStore } from '@decision-trace/store';
import { deleteStream, NATS_URL, natsUnavailable, startWriter, uniqueStream } from './helpers/nats.js';
import { eventually } from './delivery-sink.js';

/**
 * Issue 17, defect 1 on the last input path: a message on the decisions stream whose payload
 * nests deeper than the limit can never be stored. It is terminated as invalid; before, the
 * store refused the whole batch and every message of it came back for ever.
 */
const unavailable = await natsUnavailable();
const skip = unavailable && process.env.CI !== 'true' ? unavailable : false;
const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

function eventJson(decisionId: string, payload: string): string {
  return `[{"schema_version":"1.0","tenant_id":"acme","event_id":"${decisionId}-start","decision_id":"${decisionId}","decision_type":"loan.approve.v3","event_type":"decision.start","timestamp":"2026-11-20T10:00:00.000Z","payload":${payload}}]`;
}

test('a message nested past the limit is terminated; the valid messages of its batch are stored', { skip }, async () => {
  const target = uniqueStream('dt_deep');
  cleanup.push(() => deleteStream(target.stream));
  const db = join(mkdtempSync(join(tmpdir(), 'dt-nats-deep-')), 'deep.db');
  const writer = await startWriter({ ...target, storage: `sqlite:${db}`, extra: ['--batch', '5'] });
  cleanup.push(() => writer.kill9());

  const nc = await connect({ servers: NATS_URL, timeout: 2000 });
  try {
    const js = nc.jetstream();
    const deep = `{"factors":${'{"k":'.repeat(5_000)}1${'}'.repeat(5_000)}}`;
    await js.publish(target.subject, new TextEncoder().encode(eventJson('deep', deep)));
    await js.publish(target.subject, new TextEncoder().encode(eventJson('fine', '{"factors":{"a":1}}')));
  } finally {
    await nc.close();
  }

  const stored = async () => {
    const store = await openStore(`sqlite:${db}`, { thread: 'inline' });
    try {
      return (await store.queryDecisions({ limit: 10 })).decisions.map((r) => r.id);
    } catch {
      return [];
    } finally {
      await store.close();
    }
  };
  assert.ok(await eventually(async () => (await stored()).includes('fine'), 30_000), `the valid message was stored:\n${writer.logs()}`);
  assert.ok(await eventually(async () => writer.logs().includes('terminating it'), 10_000), `the deep one was terminated:\n${writer.logs()}`);
  assert.deepEqual(await stored(), ['fine']);
  await writer.stop();
  assert.equal(writer.totals()?.invalid, 1, `the deep message counted as invalid:\n${writer.logs()}`);
});
