import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import { openStore } from '@decision-trace/store';
import { StoreDecisionSink } from '@decision-trace/sdk';
import { NODE_TS, REPO_ROOT } from './helpers/collector-process.js';
import { makeSdk } from '../packages/sdk/test/sdk-harness.js';

describe('StoreDecisionSink', () => {
  test('appends decisions (sampled or not) to the embedded store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-sdk-store-'));
    const url = `sqlite:${join(dir, 'decisions.db')}`;
    for (const sampler of [undefined, new AlwaysOffSampler()]) {
      const sdk = makeSdk({ sink: new StoreDecisionSink({ url }), sampler });
      const ids = await sdk.dt.decision({ type: 'refund.approve.v2', tenant: 'acme' }, async (d) => {
        d.evidence('amount', 120);
        const child = await sdk.dt.decision({ type: 'notify.channel.v1', tenant: 'acme' }, (c) => c.outcome('email').id);
        d.outcome('approved');
        return { parent: d.id, child };
      });
      await sdk.shutdown();
      assert.equal(sdk.processor.stats.exportedEvents, 2);

      const store = await openStore(url, { thread: 'inline' });
      try {
        const [detail] = await store.getDecision(ids.parent, { tenant: 'acme' });
        assert.equal(detail.record.outcome, 'approved');
        assert.deepEqual(detail.record.evidence, { amount: 120 });
        assert.equal(detail.record.service_name, 'refund-service');
        const [child] = await store.getDecision(ids.child, { tenant: 'acme' });
        assert.equal(child.record.parent_decision_id, ids.parent);
      } finally {
        await store.close();
      }
    }
  });

  test('an application that does not use it never loads the store package or SQLite', () => {
    // A fresh process: record decisions with the processor and an HTTP sink, then look at the
    // shared libraries the process has loaded (better-sqlite3 is a native addon). The control
    // run then uses StoreDecisionSink and must show the addon.
    const script = (useStore: boolean) => `
      import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
      import { DecisionSpanProcessor, DecisionTrace, HttpDecisionSink, StoreDecisionSink } from '@decision-trace/sdk';
      import { mkdtempSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const sink = ${useStore}
        ? new StoreDecisionSink({ url: 'sqlite:' + join(mkdtempSync(join(tmpdir(), 'dt-lazy-')), 'd.db'), thread: 'inline' })
        : new HttpDecisionSink({ endpoint: 'http://127.0.0.1:9' });
      // The HTTP sink's export fails at once (nothing listens on port 9); the store's first export
      // loads better-sqlite3 and creates the database, which can take seconds on a loaded machine.
      const processor = new DecisionSpanProcessor({
        sink,
        exportTimeoutMillis: ${useStore ? 30_000 : 200},
        shutdownTimeoutMillis: ${useStore ? 35_000 : 500},
        retry: { maxAttempts: 1 },
      });
      const provider = new BasicTracerProvider({ spanProcessors: [processor] });
      const dt = new DecisionTrace({ tracerProvider: provider });
      await dt.decision({ type: 'refund.approve.v2' }, (d) => d.outcome('approved'));
      await processor.forceFlush();
      await provider.shutdown();
      const loaded = process.report.getReport().sharedObjects.filter((path) => path.includes('better_sqlite3'));
      console.log(JSON.stringify({ loaded, exported: processor.stats.exportedEvents }));
    `;
    const run = (useStore: boolean) => {
      const child = spawnSync(process.execPath, [...NODE_TS, '--input-type=module', '--eval', script(useStore)], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { loaded: string[]; exported: number };
    };
    const withoutStore = run(false);
    assert.deepEqual(withoutStore.loaded, []);
    const withStore = run(true);
    assert.equal(withStore.exported, 1);
    assert.equal(withStore.loaded.length, 1, 'the control run did load SQLite');
  });
});
