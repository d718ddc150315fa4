import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { CollectorService, ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';

/**
 * Metrics pipelines and connectors in the config, checked as the OpenTelemetry Collector checks
 * them: a connector is an exporter of one pipeline and a receiver of another, on both sides, in
 * a signal pair it supports; every problem is reported with its YAML path.
 */

const registry = defaultComponents();

function config(pipelines: string, extra = ''): string {
  return `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
processors:
  decision: {}
  batch: {}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:4319
  prometheus:
    endpoint: 127.0.0.1:9464
  decisions:
    storage: sqlite:./data/x.db
connectors:
  decision_metrics: {}
${extra}
service:
  pipelines:
${pipelines}
`;
}

const VALID_PIPELINES = `
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions, decision_metrics]
    metrics:
      receivers: [decision_metrics]
      exporters: [otlphttp, prometheus]
    metrics/second:
      receivers: [decision_metrics]
      exporters: [prometheus]
`;

function errorsOf(yaml: string): string[] {
  try {
    parseCollectorConfig(yaml, registry, {});
  } catch (error) {
    assert.ok(error instanceof ConfigErrors, String(error));
    return error.errors.map((e) => e.message);
  }
  assert.fail('expected the config to be rejected');
}

describe('metrics pipelines and connectors in the config', () => {
  test('a connector used as an exporter of traces and a receiver of metrics is valid, with defaults applied', () => {
    const parsed = parseCollectorConfig(config(VALID_PIPELINES), registry, {});
    assert.deepEqual(
      parsed.service.pipelines.map((p) => [p.id, p.signal]),
      [
        ['traces', 'traces'],
        ['metrics', 'metrics'],
        ['metrics/second', 'metrics'],
      ],
    );
    const connector = parsed.connectors.get('decision_metrics')!.config as Record<string, unknown>;
    assert.equal(connector.namespace, 'decision');
    assert.equal(connector.aggregation_temporality, 'AGGREGATION_TEMPORALITY_CUMULATIVE');
    assert.equal(connector.metrics_flush_interval, 15_000);
    assert.equal(connector.aggregation_cardinality_limit, 0);
  });

  test('a connector used only as an exporter is an error at that use', () => {
    const errors = errorsOf(
      config(`
    traces:
      receivers: [otlp]
      exporters: [decisions, decision_metrics]
`),
    );
    assert.deepEqual(errors, [
      'service.pipelines.traces.exporters[1]: connector "decision_metrics" is used as an exporter but no pipeline lists it as a receiver: a connector must be used on both sides',
    ]);
  });

  test('a connector used only as a receiver is an error at that use', () => {
    const errors = errorsOf(
      config(`
    traces:
      receivers: [otlp]
      exporters: [decisions]
    metrics:
      receivers: [decision_metrics]
      exporters: [prometheus]
`),
    );
    assert.deepEqual(errors, [
      'service.pipelines.metrics.receivers[0]: connector "decision_metrics" is used as a receiver but no pipeline lists it as an exporter: a connector must be used on both sides',
    ]);
  });

  test('a connector on a side of a signal pair it does not support is an error', () => {
    const errors = errorsOf(
      config(`
    traces:
      receivers: [otlp, decision_metrics]
      exporters: [decisions, decision_metrics]
    metrics:
      receivers: [decision_metrics]
      exporters: [prometheus, decision_metrics]
`),
    );
    assert.deepEqual(errors.sort(), [
      'service.pipelines.metrics.exporters[1]: connector "decision_metrics" cannot export from a metrics pipeline (it connects traces → metrics)',
      'service.pipelines.traces.receivers[1]: connector "decision_metrics" cannot feed a traces pipeline (it connects traces → metrics)',
    ]);
  });

  test('components that do not handle a pipeline signal are named with their path', () => {
    const errors = errorsOf(
      config(`
    traces:
      receivers: [otlp]
      exporters: [prometheus, decision_metrics]
    metrics:
      receivers: [otlp, decision_metrics]
      processors: [batch]
      exporters: [decisions]
`),
    );
    assert.deepEqual(errors.sort(), [
      'service.pipelines.metrics.exporters[0]: exporter "decisions" does not export metrics (it exports traces, logs)',
      'service.pipelines.metrics.processors[0]: processor "batch" does not process metrics (it processes traces)',
      'service.pipelines.metrics.receivers[0]: receiver "otlp" does not receive metrics (it receives traces)',
      'service.pipelines.traces.exporters[0]: exporter "prometheus" does not export traces (it exports metrics)',
    ]);
  });

  test('an undefined connector, an ambiguous id and bad connector settings are reported with their paths', () => {
    const errors = errorsOf(
      config(
        `
    traces:
      receivers: [otlp]
      exporters: [decisions, decision_metrics/missing]
    metrics:
      receivers: [decision_metrics/missing]
      exporters: [prometheus]
`,
        `  decision_metrics/bad:
    aggregation_temporality: sometimes
    aggregation_cardinality_limit: -1
    exclude_dimensions: [decision.colour]
    histogram:
      confidence:
        buckets: [0.5, 0.2]
  otlp: {}
`,
      ),
    );
    const paths = errors.map((e) => e.split(': ')[0]).sort();
    assert.deepEqual(paths, [
      'connectors.decision_metrics/bad.aggregation_cardinality_limit',
      'connectors.decision_metrics/bad.aggregation_temporality',
      'connectors.decision_metrics/bad.exclude_dimensions[0]',
      'connectors.decision_metrics/bad.histogram.confidence.buckets',
      // unknown type, and ambiguous: `otlp` is a receiver too
      'connectors.otlp',
      'connectors.otlp',
      'service.pipelines.metrics.receivers[0]',
      'service.pipelines.traces.exporters[1]',
    ]);
    assert.ok(errors.includes('connectors.otlp: unknown connector type "otlp" (known: decision_anomaly, decision_metrics)'), errors.join('\n'));
    assert.ok(errors.includes('connectors.otlp: ambiguous id: "otlp" is both a connector and one of the receivers'), errors.join('\n'));
  });

  test('logs pipelines: decision_anomaly feeds one, decision_metrics cannot', () => {
    const base = config(VALID_PIPELINES).replace('connectors:\n', 'connectors:\n  decision_anomaly: {}\n');
    const valid = base.replace(
      '    metrics/second:',
      '    traces/alerts:\n      receivers: [otlp]\n      processors: [decision]\n      exporters: [decision_anomaly]\n    logs:\n      receivers: [decision_anomaly]\n      exporters: [otlphttp]\n    metrics/second:',
    );
    const parsed = parseCollectorConfig(valid, registry, {});
    assert.deepEqual(parsed.service.pipelines.find((p) => p.id === 'logs')?.signal, 'logs');
    const errors = errorsOf(
      base.replace('    metrics/second:', '    logs:\n      receivers: [decision_metrics]\n      exporters: [prometheus]\n    metrics/second:'),
    );
    assert.deepEqual(errors.sort(), [
      'service.pipelines.logs.exporters[0]: exporter "prometheus" does not export logs (it exports metrics)',
      'service.pipelines.logs.receivers[0]: connector "decision_metrics" cannot feed a logs pipeline (it connects traces → metrics)',
    ]);
  });

  test('an id that is both a connector and an exporter is ambiguous', () => {
    const errors = errorsOf(config(VALID_PIPELINES).replace('  decisions:\n    storage', '  decision_metrics:\n    endpoint: x\n  decisions:\n    storage'));
    assert.ok(
      errors.some((e) => e.startsWith('connectors.decision_metrics: ambiguous id')),
      errors.join('\n'),
    );
  });

  test('otlphttp without an endpoint for metrics fails at start, naming the exporter', async () => {
    // A traces_endpoint makes a valid config: which signals the exporter sends is only known
    // from the pipelines it is placed in.
    const yaml = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
exporters:
  otlphttp:
    traces_endpoint: http://127.0.0.1:4319/v1/traces
connectors:
  decision_metrics: {}
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    traces: { receivers: [otlp], exporters: [decision_metrics] }
    metrics: { receivers: [decision_metrics], exporters: [otlphttp] }
`;
    const service = new CollectorService(parseCollectorConfig(yaml, registry, {}), pino({ level: 'silent' }));
    await assert.rejects(service.start(), (error: Error) => {
      assert.equal(error.message, 'exporters.otlphttp: exports metrics but has neither endpoint nor metrics_endpoint');
      return true;
    });
  });
});
