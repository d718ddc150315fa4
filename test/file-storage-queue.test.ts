import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { eventually, launchCollector, makeTraffic, postTraces, startHttpSink, type CollectorProcess, type OtlpSink } from './delivery-sink.js';

/**
 * `sending_queue.storage: file_storage/<name>` in a running collector: the persistent queue is
 * journaled under the extension's directory, in the exporter's own folder, and what it held
 * before a kill -9 is delivered after the restart.
 */
describe('a persistent queue in a file_storage extension', () => {
  let sink: OtlpSink | undefined;
  let collector: CollectorProcess | undefined;

  after(async () => {
    await collector?.kill9();
    await sink?.close();
  });

  test('the queue lives in <directory>/<exporter> and survives kill -9', { timeout: 90_000 }, async () => {
    sink = await startHttpSink();
    sink.failWith({ status: 503 });
    const dir = mkdtempSync(join(tmpdir(), 'dt-file-storage-queue-'));
    const storage = join(dir, 'storage');
    const [http, health] = await Promise.all([freePort(), freePort()]);
    const file = join(dir, 'collector.yaml');
    writeFileSync(
      file,
      `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${http}
exporters:
  otlphttp/sink:
    endpoint: ${sink.url}
    retry_on_failure:
      initial_interval: 200ms
      max_interval: 1s
      max_elapsed_time: 0
    sending_queue:
      storage: file_storage/queues
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
  file_storage/queues:
    directory: ${storage}
    create_directory: true
service:
  extensions: [health_check, file_storage/queues]
  shutdown_timeout: 1s
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp/sink]
  telemetry:
    logs:
      level: error
    metrics:
      level: none
`,
    );
    const healthUrl = `http://127.0.0.1:${health}/`;
    collector = await launchCollector(file, healthUrl);
    const traffic = Array.from({ length: 5 }, () => makeTraffic(4, 0));
    for (const t of traffic) assert.equal((await postTraces(`http://127.0.0.1:${http}`, t.body)).status, 200);
    await collector.kill9();
    collector = undefined;

    // The exporter's folder (`/` written `~`) under the extension's directory, nothing beside it.
    assert.deepEqual(readdirSync(storage), ['otlphttp~sink']);
    assert.ok(readdirSync(join(storage, 'otlphttp~sink')).length > 0, 'the journal has segment files');
    assert.equal(existsSync(join(REPO_ROOT, 'file_storage')), false, 'the id was not taken for a folder name (relative to the working directory)');

    sink.failWith(undefined);
    collector = await launchCollector(file, healthUrl);
    const spanIds = traffic.flatMap((t) => t.spanIds);
    assert.ok(
      await eventually(() => spanIds.every((id) => sink!.spanArrivals.has(id)), 20_000),
      `${spanIds.filter((id) => !sink!.spanArrivals.has(id)).length} queued spans not delivered after the restart`,
    );
  });
});
