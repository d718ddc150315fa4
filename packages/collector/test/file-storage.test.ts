import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigErrors, defaultComponents, parseCollectorConfig, type ExtensionFactory } from '@decision-trace/collector';

/**
 * `extensions: file_storage[/name]` and `sending_queue.storage: file_storage/<name>` as the
 * Collector's exporterhelper means them: the persistent queue lives under the extension's
 * directory; a reference that cannot be resolved is refused, never read as a folder name.
 */
const registry = defaultComponents();

function config(extensions: string, storage: string, enabled = '[file_storage/q]'): string {
  return `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:1
    sending_queue:
      storage: ${storage}
extensions:
${extensions}
service:
  extensions: ${enabled}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp]
`;
}

function storageOf(yaml: string): unknown {
  return (parseCollectorConfig(yaml, registry, {}).exporters.get('otlphttp')!.config as { sending_queue: { storage?: string } }).sending_queue.storage;
}

function errorsOf(yaml: string): string[] {
  try {
    parseCollectorConfig(yaml, registry, {});
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('expected the config to be rejected');
}

describe('file_storage and sending_queue.storage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-file-storage-'));

  test("storage: file_storage/<name> is that extension's directory", () => {
    assert.equal(storageOf(config(`  file_storage/q:\n    directory: ${dir}`, 'file_storage/q')), dir);
    assert.equal(storageOf(config(`  file_storage:\n    directory: ${dir}`, 'file_storage', '[file_storage]')), dir);
  });

  test('a directory path stays our shorthand for a directory, ./file_storage/q included', () => {
    assert.equal(storageOf(config(`  file_storage/q:\n    directory: ${dir}`, '/var/tmp/queue')), '/var/tmp/queue');
    assert.equal(storageOf(config(`  file_storage/q:\n    directory: ${dir}`, './file_storage/q')), './file_storage/q');
  });

  test('an extension that is not configured, not enabled, not a storage extension or not ours is refused', () => {
    const path = 'exporters.otlphttp.sending_queue.storage';
    assert.deepEqual(errorsOf(config(`  file_storage/q:\n    directory: ${dir}`, 'file_storage/x')), [
      `${path}: extension "file_storage/x" is not configured: add it under extensions (with its directory) and to service.extensions`,
    ]);
    assert.deepEqual(errorsOf(config(`  file_storage/q:\n    directory: ${dir}`, 'file_storage/q', '[]')), [
      `${path}: extension "file_storage/q" is configured but not enabled: add it to service.extensions`,
    ]);
    assert.deepEqual(errorsOf(config('  health_check: {}', 'health_check', '[health_check]')), [
      `${path}: "health_check" is not a storage extension: name a file_storage extension (or a directory path)`,
    ]);
    assert.deepEqual(errorsOf(config('  health_check: {}', 'db_storage/x', '[health_check]')), [
      `${path}: "db_storage/x" names a storage extension this collector does not have: use file_storage (or a directory path)`,
    ]);
  });

  test('the directory must exist unless create_directory is set, as in the Collector', () => {
    const missing = join(dir, 'missing');
    assert.deepEqual(errorsOf(config(`  file_storage/q:\n    directory: ${missing}`, 'file_storage/q')), [
      `extensions.file_storage/q.directory: directory ${missing} does not exist: create it, or set create_directory: true`,
    ]);
    assert.equal(storageOf(config(`  file_storage/q:\n    directory: ${missing}\n    create_directory: true`, 'file_storage/q')), missing);
  });

  test("keys of the Collector's file_storage we do not implement are refused by name, with what to do", () => {
    const errors = errorsOf(
      config(
        `  file_storage/q:\n    directory: ${dir}\n    timeout: 1s\n    fsync: true\n    compaction:\n      on_start: true\n    max_size: 10\n    recreate: true\n    bogus: 1`,
        'file_storage/q',
      ),
    );
    const at = (key: string) => errors.find((e) => e.startsWith(`extensions.file_storage/q.${key}: `));
    assert.match(at('timeout')!, /not supported by this collector's file_storage: .*remove the key/);
    assert.match(at('fsync')!, /not supported .*synced to disk before it is acknowledged/);
    assert.match(at('compaction')!, /not supported .*remove the key/);
    assert.match(at('max_size')!, /not supported .*sending_queue\.queue_size/);
    assert.match(at('recreate')!, /not supported/);
    assert.equal(at('bogus'), 'extensions.file_storage/q.bogus: unknown key');
  });

  test('create_directory makes the directory at start with directory_permissions', async () => {
    const target = join(dir, 'made', 'here');
    const factory = registry.get('extension', 'file_storage') as ExtensionFactory;
    const parsed = factory.configSchema.parse({ directory: target, create_directory: true, directory_permissions: '0700' });
    const extension = factory.create({ id: 'file_storage', config: parsed, logger: pino({ level: 'silent' }), host: undefined as never } as never);
    await extension.start();
    assert.ok(existsSync(target));
    assert.equal(statSync(target).mode & 0o777, 0o700);
  });
});

describe('sending_queue keys of the Collector we do not implement', () => {
  test('wait_for_result (except false), batch and sizer: bytes are refused by name with what to do instead', () => {
    const yaml = (queue: string) => config('  health_check: {}', '/tmp/q', '[health_check]').replace('      storage: /tmp/q', () => queue);
    const errors = errorsOf(yaml('      wait_for_result: true\n      batch:\n        flush_timeout: 1s\n      sizer: bytes'));
    assert.ok(
      errors.includes(
        'exporters.otlphttp.sending_queue.wait_for_result: not supported by this collector: a request is acknowledged once queued (with storage: once synced to disk), as wait_for_result: false; to acknowledge only after delivery, disable the queue (enabled: false)',
      ),
      errors.join('\n'),
    );
    assert.ok(
      errors.includes('exporters.otlphttp.sending_queue.batch: not supported by this collector: put a batch processor in the pipeline before this exporter'),
      errors.join('\n'),
    );
    assert.ok(
      errors.includes('exporters.otlphttp.sending_queue.sizer: sizer bytes is not supported by this collector: use requests or items'),
      errors.join('\n'),
    );
    const accepted = parseCollectorConfig(yaml('      wait_for_result: false'), registry, {}).exporters.get('otlphttp')!.config as {
      sending_queue: Record<string, unknown>;
    };
    assert.equal('wait_for_result' in accepted.sending_queue, false);
  });
});
