import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseEndpoint } from '../src/config/values.js';

test('Go-style durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('7d'), 604_800_000);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('5'), undefined, 'a bare number string has no unit');
  assert.equal(parseDuration('5 parsecs'), undefined);
  assert.equal(parseDuration(''), undefined);
});

test('endpoints', () => {
  assert.deepEqual(parseEndpoint('localhost:4317'), { host: 'localhost', port: 4317 });
  assert.deepEqual(parseEndpoint(':4318'), { host: '0.0.0.0', port: 4318 });
  assert.deepEqual(parseEndpoint('[::1]:8711'), { host: '::1', port: 8711 });
  assert.match(String(parseEndpoint('localhost')), /expected host:port/);
  assert.match(String(parseEndpoint('localhost:70000')), /invalid port 70000/);
});

test('a config duration written as a bare number other than 0 is refused, naming the unit otelcol would read', async () => {
  const { ConfigErrors, defaultComponents, parseCollectorConfig } = await import('@decision-trace/collector');
  const yaml = (timeout: string) =>
    `receivers:\n  otlp:\n    protocols:\n      http:\nprocessors:\n  memory_limiter:\n    check_interval: ${timeout}\n    limit_mib: 100\nexporters:\n  debug: {}\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [memory_limiter]\n      exporters: [debug]\n`;
  const refused = (timeout: string, env: NodeJS.ProcessEnv = {}) => {
    try {
      parseCollectorConfig(yaml(timeout), defaultComponents(), env);
    } catch (error) {
      assert.ok(error instanceof ConfigErrors, String(error));
      return error.errors.map((e) => e.message).join('\n');
    }
    assert.fail('expected a refusal');
  };
  assert.match(
    refused('5'),
    /^processors\.memory_limiter\.check_interval: a bare number is not a duration \(the OpenTelemetry Collector reads 5 as 5 nanoseconds\): write its unit/,
  );
  // From the environment too: ${env:T} holding 5 is the number 5, then its text "5": refused either way.
  assert.match(refused('${env:T}', { T: '5' }), /processors\.memory_limiter\.check_interval: invalid duration "5"/);
  const ok = parseCollectorConfig(yaml('${env:T}'), defaultComponents(), { T: '2s' }).processors.get('memory_limiter')!.config as { check_interval: number };
  assert.equal(ok.check_interval, 2000);
});
