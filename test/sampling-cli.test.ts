import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeTraceRequestJson } from '@decision-trace/otlp';
import { runCli } from './helpers/collector-process.js';
import { asResourceSpans, makeSpan, makeTrace, refundDecision } from './sampling-fixtures.js';
import { tracesPipelineYaml } from '../packages/collector/test/traces-pipeline-yaml.js';

const tail = `  tail_sampling:
    decision_wait: 30s
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
      - {name: risky-refunds, type: decision, decision: {type: "refund.*", outcome: approved, confidence_below: 0.7}}
      - name: no-health
        type: drop
        drop: {drop_sub_policy: [{name: health, type: string_attribute, string_attribute: {key: url.path, values: [/health]}}]}`;

function files(config: string, input: string): { config: string; input: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dt-sampling-test-'));
  writeFileSync(join(dir, 'collector-config.yaml'), config);
  writeFileSync(join(dir, 'traces.json'), input);
  return { config: join(dir, 'collector-config.yaml'), input: join(dir, 'traces.json') };
}

test('sampling test --json prints one line per trace with its decision and deciding policy', async () => {
  const risky = makeTrace({ decision: refundDecision('approved', 0.5) });
  const safe = makeTrace({ decision: refundDecision('approved', 0.9) });
  const failing = makeTrace({ error: true });
  const health = makeTrace({ error: true });
  health.spans.push(makeSpan(health.traceId, { attributes: { 'url.path': '/health' } }));
  // Spans of one trace may be split over requests: the array form.
  const requests = [
    JSON.parse(encodeTraceRequestJson(asResourceSpans([...risky.spans.slice(0, 1), ...safe.spans, ...failing.spans]))),
    JSON.parse(encodeTraceRequestJson(asResourceSpans([...risky.spans.slice(1), ...health.spans]))),
  ];
  const paths = files(tracesPipelineYaml(tail, 'decision, tail_sampling'), JSON.stringify(requests));
  const result = await runCli(['sampling', 'test', '--config', paths.config, '--input', paths.input, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  assert.deepEqual(lines, [
    { traceId: risky.traceId, decision: 'sampled', policy: 'risky-refunds' },
    { traceId: safe.traceId, decision: 'not_sampled', policy: null },
    { traceId: failing.traceId, decision: 'sampled', policy: 'errors' },
    { traceId: health.traceId, decision: 'dropped', policy: 'no-health' },
  ]);

  const table = await runCli(['sampling', 'test', '--config', paths.config, '--input', paths.input]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, new RegExp(`${risky.traceId}\\s+sampled\\s+risky-refunds`));
  assert.match(table.stdout, /4 traces: 2 sampled, 1 not sampled, 1 dropped/);
});

test('sampling test runs head samplers in pipeline order before the tail sampler', async () => {
  const traces = Array.from({ length: 200 }, () => makeTrace({ error: true }));
  const paths = files(
    tracesPipelineYaml(`  probabilistic_sampler: {sampling_percentage: 50}\n${tail}`, 'decision, probabilistic_sampler, tail_sampling'),
    encodeTraceRequestJson(asResourceSpans(traces.flatMap((t) => t.spans))),
  );
  const result = await runCli(['sampling', 'test', '--config', paths.config, '--input', paths.input, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const byHead = lines.filter((l) => l.policy === 'probabilistic_sampler');
  const byTail = lines.filter((l) => l.policy === 'errors');
  assert.equal(byHead.length + byTail.length, 200);
  assert.ok(byHead.every((l) => l.decision === 'not_sampled'));
  assert.ok(byTail.every((l) => l.decision === 'sampled'));
  assert.ok(byHead.length > 60 && byHead.length < 140, `${byHead.length}`);
});

test('sampling test exits 2 on an invalid policy, naming its YAML path', async () => {
  const paths = files(tracesPipelineYaml(`  tail_sampling:\n    policies: [{name: a, type: bogus}]`, 'decision'), '{"resourceSpans": []}');
  const result = await runCli(['sampling', 'test', '--config', paths.config, '--input', paths.input]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /processors\.tail_sampling\.policies\[0\]\.type: unknown or misplaced policy type "bogus"/);
});
