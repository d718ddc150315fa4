import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { readFileSync } from 'node:fs';

const registry = defaultComponents();

const valid = `
receivers:
  otlp:
    protocols:
      grpc:
      http:
        endpoint: 127.0.0.1:4318
processors:
  decision: {}
exporters:
  decisions:
    storage: sqlite:./data/x.db
extensions:
  decision_api: {}
service:
  extensions: [decision_api]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions]
`;

function errorsOf(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseCollectorConfig(yaml, registry, env);
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('expected the config to be rejected');
}

describe('collector config', () => {
  test('a valid config resolves components with defaults', () => {
    const config = parseCollectorConfig(valid, registry, {});
    const otlp = config.receivers.get('otlp')!.config as {
      protocols: { grpc: { endpoint: unknown; max_recv_msg_size_mib: number }; http: { endpoint: unknown; max_request_body_size: number } };
    };
    assert.deepEqual(otlp.protocols.grpc.endpoint, { host: 'localhost', port: 4317 }, 'an empty grpc: key enables gRPC with defaults');
    assert.equal(otlp.protocols.grpc.max_recv_msg_size_mib, 4);
    assert.deepEqual(otlp.protocols.http.endpoint, { host: '127.0.0.1', port: 4318 });
    assert.equal(otlp.protocols.http.max_request_body_size, 20 * 1024 * 1024);
    const api = config.extensions.get('decision_api')!.config as { endpoint: unknown; storage: string };
    assert.deepEqual(api.endpoint, { host: '127.0.0.1', port: 8711 });
    assert.equal(api.storage, 'sqlite:./data/x.db', 'without storage the API serves the store its pipeline writes');
    assert.deepEqual(config.service.pipelines, [{ id: 'traces', signal: 'traces', receivers: ['otlp'], processors: ['decision'], exporters: ['decisions'] }]);
    assert.equal(config.service.telemetry.logs.level, 'info');
  });

  test('the shipped collector-config.yaml is valid', () => {
    const text = readFileSync(new URL('../../../collector-config.yaml', import.meta.url), 'utf8');
    const config = parseCollectorConfig(text, registry, {});
    assert.equal(config.service.pipelines[0].exporters[0], 'decisions');
    const exporter = config.exporters.get('decisions')!.config as { storage: string };
    assert.equal(exporter.storage, 'sqlite:./data/decisions.db');
  });

  test('an unknown key is named by its YAML path', () => {
    const errors = errorsOf(valid.replace('endpoint: 127.0.0.1:4318', 'endpoint: 127.0.0.1:4318\n        bogus_key: 1'));
    assert.deepEqual(errors, ['receivers.otlp.protocols.http.bogus_key: unknown key']);
  });

  test('a __proto__ key is an unknown key with its YAML path, at any level, not silently dropped (#17)', () => {
    const yaml = valid
      .replace('endpoint: 127.0.0.1:4318', 'endpoint: 127.0.0.1:4318\n        __proto__: {max_request_body_size: 1}')
      .replace('service:\n', 'service:\n  __proto__: {}\n')
      .replace('  otlp:\n', '  otlp:\n    __proto__:\n      polluted: 1\n');
    const errors = errorsOf(`${yaml}__proto__: {}\n`);
    assert.deepEqual(errors.sort(), [
      '__proto__: unknown key',
      'receivers.otlp.__proto__: unknown key',
      'receivers.otlp.protocols.http.__proto__: unknown key',
      'service.__proto__: unknown key',
    ]);
  });

  test('an invalid port is named by its YAML path and reason', () => {
    const errors = errorsOf(valid.replace('127.0.0.1:4318', '127.0.0.1:99999'));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^receivers\.otlp\.protocols\.http\.endpoint: invalid port 99999/);
  });

  test('wrong value types, unknown component types and dangling references', () => {
    const errors = errorsOf(
      valid
        .replace('decision: {}', 'decision: {}\n  nope: {}')
        .replace('exporters: [decisions]', 'exporters: [decisions, otlp/missing]')
        .replace('storage: sqlite:./data/x.db', 'storage: mysql://x'),
    );
    assert.ok(
      errors.some((e) => /^processors\.nope: unknown processor type "nope"/.test(e)),
      errors.join('\n'),
    );
    assert.ok(errors.includes('service.pipelines.traces.exporters[1]: "otlp/missing" is not defined in the top-level exporters section'), errors.join('\n'));
    assert.ok(
      errors.some((e) => /^exporters\.decisions\.storage: unsupported storage URL/.test(e)),
      errors.join('\n'),
    );
  });

  test('a number where a map is expected says what it got', () => {
    const errors = errorsOf(valid.replace('decision: {}', 'decision:\n    lineage: 5'));
    assert.equal(errors.length, 1);
    assert.match(errors[0], /^processors\.decision\.lineage: expected object, got number 5$/);
  });

  test('unknown top-level and service keys', () => {
    const errors = errorsOf(`${valid}\nconnector: {}\n`.replace('service:\n', 'service:\n  bogus: 1\n'));
    assert.ok(errors.includes('connector: unknown key'), errors.join('\n'));
    assert.ok(errors.includes('service.bogus: unknown key'), errors.join('\n'));
  });

  test('${env:VAR} and ${env:VAR:-default} are substituted', () => {
    const yaml = valid.replace('127.0.0.1:4318', '${env:HTTP_HOST:-127.0.0.2}:${env:HTTP_PORT}');
    const config = parseCollectorConfig(yaml, registry, { HTTP_PORT: '5555' });
    const http = (config.receivers.get('otlp')!.config as { protocols: { http: { endpoint: unknown } } }).protocols.http;
    assert.deepEqual(http.endpoint, { host: '127.0.0.2', port: 5555 });
    const overridden = parseCollectorConfig(yaml, registry, { HTTP_PORT: '5555', HTTP_HOST: '0.0.0.0' });
    assert.deepEqual((overridden.receivers.get('otlp')!.config as { protocols: { http: { endpoint: unknown } } }).protocols.http.endpoint, {
      host: '0.0.0.0',
      port: 5555,
    });
  });

  test('an unset variable without default leaves the value empty and the key is reported', () => {
    const errors = errorsOf(valid.replace('127.0.0.1:4318', '${env:NOT_SET}'));
    assert.match(errors[0], /^receivers\.otlp\.protocols\.http\.endpoint: invalid endpoint ""/);
  });

  test('an unsupported reference form is reported at its path', () => {
    const errors = errorsOf(valid.replace('sqlite:./data/x.db', '${https://example.com/x}'));
    assert.match(errors[0], /^exporters\.decisions\.storage: \$\{https:\/\/example\.com\/x\}: config URI scheme "https" is not supported/);
  });

  test('YAML syntax errors are reported, not thrown raw', () => {
    const errors = errorsOf('receivers: [unclosed');
    assert.match(errors[0], /YAML syntax error/);
  });

  test('a pipeline needs receivers and exporters; only traces, metrics and logs pipelines exist', () => {
    const errors = errorsOf(
      valid
        .replace('traces:\n', 'profiles:\n      receivers: [otlp]\n      exporters: [decisions]\n    traces:\n')
        .replace('receivers: [otlp]\n      processors', 'receivers: []\n      processors'),
    );
    assert.ok(
      errors.some((e) => e.startsWith('service.pipelines.profiles: unsupported pipeline')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.startsWith('service.pipelines.traces.receivers: a pipeline needs at least one receiver')),
      errors.join('\n'),
    );
  });
});
