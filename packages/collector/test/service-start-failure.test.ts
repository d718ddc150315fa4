import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { z } from 'zod';
import { CollectorService, defaultComponents, parseCollectorConfig, type ExtensionFactory } from '@decision-trace/collector';
import { StartError } from '../src/component/start-error.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A start that fails after other components started (issue #17, defect 5): the service stops
 * what did start — here /metrics, with a scrape hanging mid-request on it — and reports the
 * failure with the YAML key at fault, so the CLI exits instead of leaving a half-started
 * collector behind.
 */
test('a failed start names the key and stops /metrics, even with a request hanging on it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-service-start-'));
  const file = join(dir, 'a-regular-file');
  writeFileSync(file, '');
  const metricsPort = await freePort();
  let scrape: Socket | undefined;
  // Starts after /metrics listens and before the exporters: opens a request to /metrics that
  // never finishes its headers (a slow scraper, a half-open connection).
  const gate: ExtensionFactory<Record<string, never>> = {
    kind: 'extension',
    type: 'gate',
    configSchema: z.strictObject({}),
    create: () => ({
      start: () =>
        new Promise<void>((resolve) => {
          scrape = connect(metricsPort, '127.0.0.1', () => scrape!.write('GET /metrics HTTP/1.1\r\nHost: test\r\n', () => resolve()));
          scrape.on('error', () => undefined);
        }),
      shutdown: async () => undefined,
    }),
  };
  const config = parseCollectorConfig(
    `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  decisions:
    storage: sqlite:${join(file, 'sub', 'decisions.db')}
extensions:
  gate: {}
service:
  extensions: [gate]
  shutdown_timeout: 1s
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [decisions]
  telemetry:
    metrics:
      address: 127.0.0.1:${metricsPort}
`,
    defaultComponents().register(gate),
    {},
  );
  const service = new CollectorService(config, pino({ level: 'silent' }));
  const startedAt = Date.now();
  try {
    const failure = await service.start().then(
      () => assert.fail('the start should fail'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof StartError, String(failure));
    assert.equal(failure.path, 'exporters.decisions.storage');
    assert.match(failure.message, /^exporters\.decisions\.storage: cannot open the store sqlite:.*a-regular-file\/sub\/decisions\.db: /);
    assert.ok(scrape, 'the scrape was open while the exporter failed');
    assert.ok(Date.now() - startedAt < 10_000, `the failed start returned in ${Date.now() - startedAt} ms`);
    await assert.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`), 'the /metrics server was stopped');
  } finally {
    scrape?.destroy();
  }
});
