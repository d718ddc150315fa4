import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';

const registry = defaultComponents();

function configWith(exporters: string, processors = '', pipelineProcessors = '[]', service = ''): string {
  return `
receivers:
  otlp:
    protocols:
      http:
processors:
  decision: {}
${processors}
exporters:
${exporters}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: ${pipelineProcessors}
      exporters: [x]
${service}
`;
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

describe('delivery config', () => {
  test("otlphttp: the Collector's defaults (gzip, proto, 30 s, queue of 1000 with 10 consumers, retry 5 s / 30 s / 300 s / 1.5 / 0.5)", () => {
    const parsed = parseCollectorConfig(
      configWith('  otlphttp/x:\n    endpoint: http://collector:4318').replace('exporters: [x]', 'exporters: [otlphttp/x]'),
      registry,
      {},
    );
    const otlphttp = parsed.exporters.get('otlphttp/x')!.config as Record<string, unknown>;
    assert.equal(otlphttp.compression, 'gzip');
    assert.equal(otlphttp.encoding, 'proto');
    assert.equal(otlphttp.timeout, 30_000);
    assert.deepEqual(otlphttp.sending_queue, {
      enabled: true,
      num_consumers: 10,
      queue_size: 1000,
      sizer: 'requests',
      block_on_overflow: false,
      drop_context_on_overflow: false,
      merge: { enabled: true, max_items: 8192, max_bytes: 8 * 1024 * 1024 },
    });
    assert.deepEqual(otlphttp.retry_on_failure, {
      enabled: true,
      initial_interval: 5000,
      max_interval: 30_000,
      max_elapsed_time: 300_000,
      multiplier: 1.5,
      randomization_factor: 0.5,
    });
  });

  test('invalid delivery settings are named by their YAML path', () => {
    const errors = errorsOf(
      configWith(
        `  otlphttp:
    compression: zstd
    sending_queue:
      queue_size: 0
      bogus: 1
    retry_on_failure:
      max_interval: 1s
      max_elapsed_time: 500ms
      randomization_factor: 2
  otlp:
    endpoint: not an endpoint
  decisions:
    storage: sqlite:./x.db
    endpoint: http://backend:8711
  decisions/embedded:
    api_key: k
  x:
    endpoint: http://a:1`,
        `  batch:
    send_batch_size: 10
    send_batch_max_size: 5
  memory_limiter:
    limit_mib: 100`,
      ).replace('exporters: [x]', 'exporters: [otlphttp]'),
    );
    const expect = [
      /^exporters\.otlphttp\.compression: /,
      /^exporters\.otlphttp\.sending_queue\.queue_size: /,
      /^exporters\.otlphttp\.sending_queue\.bogus: unknown key$/,
      /^exporters\.otlphttp\.retry_on_failure\.max_elapsed_time: must not be less than max_interval/,
      /^exporters\.otlphttp\.retry_on_failure\.randomization_factor: /,
      /^exporters\.otlp\.endpoint: expected host:port/,
      /^exporters\.decisions\.endpoint: storage \(the embedded store\) and endpoint \(a remote backend\) exclude each other$/,
      /^exporters\.decisions\/embedded\.api_key: only applies to a remote backend/,
      /^exporters\.x: unknown exporter type "x"/,
      /^processors\.batch\.send_batch_max_size: /,
      /^processors\.memory_limiter\.check_interval: required: how often to measure memory/,
    ];
    for (const pattern of expect)
      assert.ok(
        errors.some((e) => pattern.test(e)),
        `${pattern} not in:\n${errors.join('\n')}`,
      );
  });

  test('otlphttp needs endpoint or traces_endpoint', () => {
    const errors = errorsOf(configWith('  otlphttp: {}').replace('exporters: [x]', 'exporters: [otlphttp]'));
    assert.deepEqual(errors, ['exporters.otlphttp: set endpoint (base URL), traces_endpoint, metrics_endpoint or logs_endpoint']);
  });

  test('decisions: the embedded store by default, a remote backend with endpoint', () => {
    const embedded = parseCollectorConfig(configWith('  decisions: {}').replace('exporters: [x]', 'exporters: [decisions]'), registry, {});
    assert.equal((embedded.exporters.get('decisions')!.config as { storage: string }).storage, 'sqlite:./data/decisions.db');
    const remote = parseCollectorConfig(
      configWith('  decisions:\n    endpoint: ${env:BACKEND}\n    api_key: ${env:KEY}\n    sending_queue:\n      storage: /var/lib/dt/queue').replace(
        'exporters: [x]',
        'exporters: [decisions]',
      ),
      registry,
      { BACKEND: 'https://decisions.example:8711', KEY: 'k-1' },
    );
    const config = remote.exporters.get('decisions')!.config as Record<string, unknown>;
    assert.equal(config.storage, undefined);
    assert.equal(config.endpoint, 'https://decisions.example:8711');
    assert.equal(config.api_key, 'k-1');
  });

  test('service.telemetry.metrics and shutdown_timeout', () => {
    const base = configWith('  debug: {}').replace('exporters: [x]', 'exporters: [debug]');
    const defaults = parseCollectorConfig(base, registry, {});
    assert.deepEqual(defaults.service.telemetry.metrics, { level: 'normal' });
    assert.equal(defaults.service.shutdown_timeout, 10_000);
    const set = parseCollectorConfig(`${base}  shutdown_timeout: 30s\n  telemetry:\n    metrics:\n      address: 0.0.0.0:9464\n`, registry, {});
    assert.deepEqual(set.service.telemetry.metrics, { level: 'normal', address: { host: '0.0.0.0', port: 9464 } });
    assert.equal(set.service.shutdown_timeout, 30_000);
    const errors = errorsOf(`${base}  shutdown_timeout: soon\n  telemetry:\n    metrics:\n      address: nowhere\n      level: loud\n`);
    assert.ok(
      errors.some((e) => e.startsWith('service.shutdown_timeout: invalid duration')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.startsWith('service.telemetry.metrics.address: invalid endpoint')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.startsWith('service.telemetry.metrics.level: ')),
      errors.join('\n'),
    );
  });
});
