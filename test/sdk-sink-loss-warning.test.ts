import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { HttpDecisionSink, StoreDecisionSink } from '@decision-trace/sdk';
import { startCollector } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { makeSdk } from '../packages/sdk/test/sdk-harness.js';

/** Every diag line at warn and above, as the application's own diag logger would get them. */
const warnings: string[] = [];
before(() => {
  const keep = (message: string) => warnings.push(message);
  diag.setLogger({ verbose: () => {}, debug: () => {}, info: () => {}, warn: keep, error: keep }, DiagLogLevel.WARN);
});
after(() => diag.disable());

const FAST_RETRY = { maxAttempts: 2, initialBackoffMillis: 10, maxBackoffMillis: 20 };

async function decide(sdk: ReturnType<typeof makeSdk>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await sdk.dt.decision({ type: 'refund.approve.v1', tenant: 'acme' }, (d) => d.outcome('approved'));
  }
  await sdk.processor.forceFlush();
}

describe('an SDK sink that drops decisions says so once per episode, with the count', () => {
  test('backend down: one warning when losses start, one with the count when a real collector takes them again', async () => {
    warnings.length = 0;
    const api = await freePort();
    const sink = new HttpDecisionSink({ endpoint: `http://127.0.0.1:${api}` });
    const sdk = makeSdk({ sink, processor: { retry: FAST_RETRY, maxExportBatchSize: 2 } });
    await decide(sdk, 3);
    await decide(sdk, 2);
    const failing = warnings.filter((w) => /decision-trace/.test(w));
    assert.equal(failing.length, 1, failing.join('\n'));
    assert.match(failing[0]!, /decision sink is not taking decision events: \d+ dropped after 2 attempt\(s\)/);
    assert.ok(sdk.processor.stats.failedEvents >= 5);

    // The backend comes back where the sink sends: a real collector, reached through a TCP relay
    // on the port that refused connections until now.
    const collector = await startCollector();
    const relay = createServer((client) => {
      const upstream = connect(Number(new URL(collector.apiUrl).port), '127.0.0.1');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(api, '127.0.0.1', resolve));
    try {
      await decide(sdk, 1);
      const recovered = warnings.filter((w) => /delivers again/.test(w));
      assert.equal(recovered.length, 1, warnings.join('\n'));
      assert.match(recovered[0]!, new RegExp(`; ${sdk.processor.stats.failedEvents} decision events were dropped while it did not`));
    } finally {
      await sdk.shutdown();
      relay.close();
      await collector.stop();
    }
  });

  test('the store package cannot be opened: one warning, and the count at shutdown', async () => {
    warnings.length = 0;
    // A path under a file: the store cannot be opened, as when it cannot be loaded.
    const sink = new StoreDecisionSink({ url: 'sqlite:/dev/null/decisions.db', thread: 'inline' });
    const sdk = makeSdk({ sink, processor: { retry: FAST_RETRY, maxExportBatchSize: 2 } });
    await decide(sdk, 4);
    assert.equal(warnings.filter((w) => /is not taking/.test(w)).length, 1, warnings.join('\n'));
    await sdk.processor.shutdown();
    const closing = warnings.filter((w) => /until shutdown/.test(w));
    assert.equal(closing.length, 1, warnings.join('\n'));
    assert.match(closing[0]!, /^decision-trace: 4 decision events were dropped/);
  });
});
