import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigErrors, defaultComponents, parseCollectorConfig, resolveCollectorConfig } from '@decision-trace/collector';

/**
 * Config sources as the OpenTelemetry Collector (v0.161.0, confmap) reads them: typed
 * whole-value references, `$$` escapes, several --config sources merged, env:/file:/yaml: URIs
 * and --set. test/otelcol-config-parity.test.ts checks the same configs against otelcol itself.
 */
const registry = defaultComponents();

const base = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
processors:
  batch:
    send_batch_size: 100
    timeout: 1s
exporters:
  debug: {}
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
`;

function errorsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('expected the config to be rejected');
}

function batchOf(config: ReturnType<typeof parseCollectorConfig>, id = 'batch') {
  return config.processors.get(id)!.config as { send_batch_size: number; send_batch_max_size: number; timeout: number };
}

/** An otlphttp exporter whose header `x` (a string key) is `value`. */
function withHeader(value: string): string {
  return base
    .replace('  debug: {}', () => `  otlphttp:\n    endpoint: http://127.0.0.1:1\n    headers:\n      x: ${value}`)
    .replace('exporters: [debug]', 'exporters: [otlphttp]');
}

function headerOf(config: ReturnType<typeof parseCollectorConfig>): string | undefined {
  return (config.exporters.get('otlphttp')!.config as { headers: Record<string, string> }).headers.x;
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'dt-config-sources-'));
}

describe('${env:VAR} typed as the Collector types it', () => {
  test('a whole-value reference holding 5 is the number 5 for a numeric key', () => {
    const config = parseCollectorConfig(base.replace('send_batch_size: 100', 'send_batch_size: ${env:N}'), registry, { N: '5' });
    assert.equal(batchOf(config).send_batch_size, 5);
  });

  test('a whole-value bool, and ${VAR} without a scheme (env is the default scheme)', () => {
    const yaml = base
      .replace('  debug: {}', '  otlphttp:\n    endpoint: http://127.0.0.1:1\n    sending_queue:\n      enabled: ${QUEUE_ON}')
      .replace('exporters: [debug]', 'exporters: [otlphttp]');
    const config = parseCollectorConfig(yaml, registry, { QUEUE_ON: 'false' });
    assert.equal((config.exporters.get('otlphttp')!.config as { sending_queue: { enabled: boolean } }).sending_queue.enabled, false);
  });

  test('the same value for a string key is its text, as written (1.50 stays "1.50", not 1.5)', () => {
    const config = parseCollectorConfig(withHeader('${env:V}'), registry, { V: '1.50' });
    assert.equal(headerOf(config), '1.50');
    assert.equal(headerOf(parseCollectorConfig(withHeader('${env:V}'), registry, { V: 'true' })), 'true');
  });

  test('embedded in a longer string a reference stays text: "${env:N}0" is not a number', () => {
    const errors = errorsOf(() => parseCollectorConfig(base.replace('send_batch_size: 100', 'send_batch_size: ${env:N}0'), registry, { N: '5' }));
    assert.match(errors[0]!, /^processors\.batch\.send_batch_size: expected number, got string "50"/);
  });

  test('Go YAML integer forms: 1_000 and 0x10 are numbers, a quoted "7" is text', () => {
    const read = (n: string) =>
      batchOf(parseCollectorConfig(base.replace('send_batch_size: 100', 'send_batch_size: ${env:N}'), registry, { N: n })).send_batch_size;
    assert.equal(read('1_000'), 1000);
    assert.equal(read('0x10'), 16);
    assert.equal(read('017'), 15, 'a leading 0 is octal in Go YAML');
    assert.match(errorsOf(() => read('"7"'))[0]!, /expected number, got string "\\"7\\""/);
  });

  test('a value that looks like a map is a map where a map is wanted, its text where a string is', () => {
    const yaml = base.replace('    timeout: 1s', '').replace('  batch:\n    send_batch_size: 100\n', '  batch: ${env:BATCH}\n');
    const config = parseCollectorConfig(yaml, registry, { BATCH: '{send_batch_size: 7, timeout: 2s}' });
    assert.equal(batchOf(config).send_batch_size, 7);
    assert.equal(batchOf(config).timeout, 2000);
    assert.equal(headerOf(parseCollectorConfig(withHeader('${env:V}'), registry, { V: '[a, b]' })), '[a, b]');
    assert.equal(headerOf(parseCollectorConfig(withHeader('${env:V}'), registry, { V: '{a: 1}' })), '{a: 1}');
  });

  test('a set but empty variable is empty even with a default (the Collector takes the default only when unset)', () => {
    const yaml = base.replace('send_batch_size: 100', 'send_batch_size: ${env:N:-9}');
    assert.equal(batchOf(parseCollectorConfig(yaml, registry, {})).send_batch_size, 9, 'unset: the default, typed');
    assert.match(errorsOf(() => parseCollectorConfig(yaml, registry, { N: '' }))[0]!, /^processors\.batch\.send_batch_size: /);
  });

  test('$${ is a literal ${ and every $$ is one $', () => {
    // (a function as replace's replacement: in a string, `$$` would be one `$` there already)
    const yaml = base
      .replace(
        '  debug: {}',
        () => "  otlphttp:\n    endpoint: http://127.0.0.1:1\n    headers:\n      a: $${env:N}\n      b: 'x$$y'\n      c: $$$${env:N}\n      d: $$${env:N}",
      )
      .replace('exporters: [debug]', 'exporters: [otlphttp]');
    const headers = (parseCollectorConfig(yaml, registry, { N: '5' }).exporters.get('otlphttp')!.config as { headers: Record<string, string> }).headers;
    assert.deepEqual({ ...headers }, { a: '${env:N}', b: 'x$y', c: '$${env:N}', d: '$5' });
  });

  test('a reference brings in references of its own, and a file reference its typed YAML', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'batch.yaml'), 'send_batch_size: ${env:N}\ntimeout: 3s\n');
    const yaml = base.replace('  batch:\n    send_batch_size: 100\n    timeout: 1s\n', `  batch: \${file:${join(dir, 'batch.yaml')}}\n`);
    const config = parseCollectorConfig(yaml, registry, { N: '11' });
    assert.deepEqual([batchOf(config).send_batch_size, batchOf(config).timeout], [11, 3000]);
    assert.match(
      errorsOf(() => parseCollectorConfig(base.replace('timeout: 1s', 'timeout: ${env:A}'), registry, { A: '${env:A}' }))[0]!,
      /too many recursive expansions/,
    );
  });

  test('an invalid variable name is reported at its path', () => {
    assert.match(
      errorsOf(() => parseCollectorConfig(base.replace('timeout: 1s', 'timeout: ${env:1X}'), registry, {}))[0]!,
      /^processors\.batch\.timeout: .*invalid name/,
    );
  });
});

describe('YAML read as Go YAML reads it', () => {
  test('Go integer forms in a file, and << merge keys', () => {
    const yaml = base
      .replace('send_batch_size: 100', 'send_batch_size: 1_000\n    send_batch_max_size: 0o7640')
      .replace('  batch:\n', '  batch/base: &batch\n    send_batch_size: 017\n    timeout: 5s\n  batch/merged:\n    <<: *batch\n    timeout: 6s\n  batch:\n');
    const config = parseCollectorConfig(yaml, registry, {});
    assert.deepEqual([batchOf(config).send_batch_size, batchOf(config).send_batch_max_size], [1000, 4000]);
    assert.deepEqual([batchOf(config, 'batch/merged').send_batch_size, batchOf(config, 'batch/merged').timeout], [15, 6000]);
  });

  test('a duplicate key is refused, naming it', () => {
    assert.match(
      errorsOf(() => parseCollectorConfig(base.replace('    timeout: 1s', '    timeout: 1s\n    timeout: 2s'), registry, {}))[0]!,
      /YAML syntax error: .*[Mm]ap keys must be unique/,
    );
  });
});

describe('several --config sources, URIs and --set', () => {
  test('maps merge key by key, later sources win, lists are replaced', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), base);
    writeFileSync(
      join(dir, 'b.yaml'),
      'processors:\n  batch:\n    timeout: 2s\n  batch/x: {}\nservice:\n  pipelines:\n    traces:\n      processors: [batch/x]\n',
    );
    const { config } = resolveCollectorConfig({ configs: [join(dir, 'a.yaml'), `file:${join(dir, 'b.yaml')}`] }, registry, { env: {} });
    assert.equal(batchOf(config).send_batch_size, 100, 'kept from a.yaml');
    assert.equal(batchOf(config).timeout, 2000, 'b.yaml wins');
    assert.deepEqual(config.service.pipelines[0]!.processors, ['batch/x'], 'the list is replaced, not appended');
  });

  test('--feature-gates confmap.enableMergeAppendOption appends service.extensions and pipeline receivers/exporters', () => {
    const later = 'yaml:service::pipelines::traces::exporters: [otlphttp, debug]';
    const extra = base.replace('  debug: {}', '  debug: {}\n  otlphttp:\n    endpoint: http://127.0.0.1:1');
    const appended = resolveCollectorConfig({ configs: ['env:BASE', later], featureGates: ['+confmap.enableMergeAppendOption'] }, registry, {
      env: { BASE: extra },
    }).config;
    assert.deepEqual(appended.service.pipelines[0]!.exporters, ['debug', 'otlphttp'], 'appended, without the duplicate');
    const replaced = resolveCollectorConfig(
      { configs: ['env:BASE', later], featureGates: ['confmap.enableMergeAppendOption,-confmap.enableMergeAppendOption'] },
      registry,
      { env: { BASE: extra } },
    ).config;
    assert.deepEqual(replaced.service.pipelines[0]!.exporters, ['otlphttp', 'debug'], 'switched off again: replaced');
    assert.match(
      errorsOf(() => resolveCollectorConfig({ configs: ['env:BASE'], featureGates: ['service.profilesSupport'] }, registry, { env: { BASE: base } }))[0]!,
      /unknown feature gate "service\.profilesSupport"/,
    );
  });

  test('a later null replaces a map: the component takes its defaults', () => {
    const { config } = resolveCollectorConfig({ configs: ['env:BASE', 'yaml:processors::batch:'] }, registry, { env: { BASE: base } });
    assert.equal(batchOf(config).send_batch_size, 8192);
  });

  test('env: gives a whole config from a variable; yaml: and --set one key, typed', () => {
    const { config, effective } = resolveCollectorConfig(
      {
        configs: ['env:COLLECTOR_CONFIG', 'yaml:processors::batch::timeout: 4s'],
        sets: ['processors.batch.send_batch_size=12', 'processors::batch::send_batch_max_size=20'],
      },
      registry,
      { env: { COLLECTOR_CONFIG: base } },
    );
    assert.deepEqual([batchOf(config).timeout, batchOf(config).send_batch_size, batchOf(config).send_batch_max_size], [4000, 12, 20]);
    assert.deepEqual((effective.processors as Record<string, unknown>).batch, { send_batch_size: 12, timeout: '4s', send_batch_max_size: 20 });
  });

  test('--set values apply after every --config, whatever the order on the line', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), base);
    const { config } = resolveCollectorConfig(
      { configs: [join(dir, 'a.yaml'), 'yaml:processors::batch::send_batch_size: 1'], sets: ['processors.batch.send_batch_size=2'] },
      registry,
      { env: {} },
    );
    assert.equal(batchOf(config).send_batch_size, 2);
  });

  test('errors keep their YAML path and name the source the key came from', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), base);
    writeFileSync(join(dir, 'b.yaml'), 'processors:\n  batch:\n    bogus: 1\n');
    const errors = errorsOf(() =>
      resolveCollectorConfig({ configs: [join(dir, 'a.yaml'), join(dir, 'b.yaml')], sets: ['processors.batch.timeout=soon'] }, registry, { env: {} }),
    );
    assert.ok(errors.includes(`processors.batch.bogus: unknown key (from file:${join(dir, 'b.yaml')})`), errors.join('\n'));
    assert.ok(
      errors.some((e) => e.startsWith('processors.batch.timeout: invalid duration "soon"') && e.endsWith('(from --set processors.batch.timeout=soon)')),
      errors.join('\n'),
    );
  });

  test('unreadable sources, unknown schemes and a --set without = are refused by name', () => {
    const errors = errorsOf(() =>
      resolveCollectorConfig(
        { configs: ['/nonexistent/x.yaml', 'ftp:x', 'https://example.com/c.yaml', 'env:EMPTY_LIST'], sets: ['processors.batch.timeout'] },
        registry,
        { env: { EMPTY_LIST: '[1]' } },
      ),
    );
    assert.match(errors[0]!, /^file:\/nonexistent\/x\.yaml: cannot read the file/);
    assert.match(errors[1]!, /^ftp:x: unsupported config URI scheme "ftp"/);
    assert.match(errors[2]!, /^https:\/\/example\.com\/c\.yaml: config URI scheme "https" is not supported by this collector: download the file/);
    assert.match(errors[3]!, /^env:EMPTY_LIST: the config must be a YAML map/);
    assert.match(errors[4]!, /^--set processors\.batch\.timeout: .*missing equal sign/);
  });

  test('a YAML syntax error names the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), base);
    writeFileSync(join(dir, 'bad.yaml'), 'processors: [unclosed\n');
    const errors = errorsOf(() => resolveCollectorConfig({ configs: [join(dir, 'a.yaml'), join(dir, 'bad.yaml')] }, registry, { env: {} }));
    assert.match(errors[0]!, new RegExp(`^file:${join(dir, 'bad.yaml')}: YAML syntax error`));
  });
});
