import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyRecord, type DecisionRecord } from '@decision-trace/model';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { decisionAnomalyConnectorSchema, monitorSettings } from '../src/connectors/decision_anomaly/config.js';
import { DecisionMonitors, type AnomalyAlert } from '../src/connectors/decision_anomaly/decision-monitor.js';
import { loadMonitorState, saveMonitorState } from '../src/connectors/decision_anomaly/monitor-state-file.js';

/**
 * The decision_anomaly state file: monitors saved and taken up again go on exactly as if never
 * interrupted (every CUSUM, baseline, window and example), and a file that is damaged, of
 * another format or saved under other settings is refused with the reason.
 */

const SETTINGS = monitorSettings(decisionAnomalyConnectorSchema.parse({}));

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Two versions, three outcomes, a policy and a confidence, shifting part way. */
function stream(count: number): DecisionRecord[] {
  const random = seeded(3);
  return Array.from({ length: count }, (_, i) => {
    const late = i > 1500;
    const r = random();
    return {
      ...emptyRecord(`d-${i}`, 'acme'),
      type: 'refund.approve',
      version: i < 1200 ? 'v2' : 'v3',
      status: 'decided' as const,
      outcome: r < (late ? 0.75 : 0.6) ? 'approved' : r < 0.93 ? 'denied' : 'escalated',
      confidence: (late ? 0.55 : 0.6) + random() * 0.2,
      policy_checks: [{ policy: 'refund_limit', result: random() < (late ? 0.75 : 0.9) ? 'pass' : 'fail' }],
    };
  });
}

const summary = (alerts: AnomalyAlert[]) => alerts.map((a) => JSON.stringify(a));

test('monitors saved to a file and taken up again raise exactly the alerts of an uninterrupted run', async () => {
  const records = stream(4000);
  const uninterrupted = new DecisionMonitors(SETTINGS);
  const expected = records.flatMap((r) => uninterrupted.observe(r));
  assert.ok(expected.length >= 3, `the stream should raise alerts: ${expected.length}`);

  const file = join(mkdtempSync(join(tmpdir(), 'dt-anomaly-state-')), 'decision_anomaly~logs.json');
  const actual: AnomalyAlert[] = [];
  let monitors = new DecisionMonitors(SETTINGS);
  // A restart every 97 decisions, mid-baseline, mid-window and mid-CUSUM alike.
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % 97 === 0) {
      const before = monitors.state();
      await saveMonitorState(file, SETTINGS, before);
      monitors = new DecisionMonitors(SETTINGS);
      const loaded = await loadMonitorState(file, SETTINGS);
      assert.ok('state' in loaded, JSON.stringify(loaded));
      monitors.restore(loaded.state);
      assert.deepEqual(monitors.state(), before, `state after the restart at decision ${i}`);
    }
    actual.push(...monitors.observe(records[i]!));
  }
  assert.deepEqual(summary(actual), summary(expected));
});

test('a damaged, foreign or incompatible state file is refused with its reason; a missing one is no error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-anomaly-state-'));
  const file = join(dir, 'state.json');
  assert.deepEqual(await loadMonitorState(file, SETTINGS), { missing: true });

  const monitors = new DecisionMonitors(SETTINGS);
  for (const record of stream(800)) monitors.observe(record);
  await saveMonitorState(file, SETTINGS, monitors.state());
  const good = readFileSync(file, 'utf8');
  assert.ok('state' in (await loadMonitorState(file, SETTINGS)));

  const unusable = async (text: string, settings = SETTINGS) => {
    writeFileSync(file, text);
    const loaded = await loadMonitorState(file, settings);
    assert.ok('unusable' in loaded, `taken up: ${text.slice(0, 80)}`);
    return loaded.unusable;
  };
  assert.match(await unusable(good.slice(0, good.length / 2)), /is not JSON/);
  assert.match(await unusable(good.replace('"decision_anomaly/1"', '"decision_anomaly/9"')), /has format "decision_anomaly\/9"/);
  assert.match(await unusable('null'), /has format undefined/);
  assert.match(await unusable(good.replace(/"up":[0-9.e-]+/, '"up":-4')), /is damaged at monitors\.streams\.0\.outcomes\.0\.1\.cusum\.up/);
  assert.match(await unusable(good.replace(/"window":\[/, '"window":[7,')), /is damaged at monitors\.streams\.0\.mix\.window/);
  assert.match(await unusable(good, { ...SETTINGS, rateShift: 0.2 }), /saved under other settings/);
  assert.match(await unusable(good, { ...SETTINGS, mix: { ...SETTINGS.mix, window: 100 } }), /saved under other settings/);
  // The number of examples an alert names is not part of the tests' state.
  writeFileSync(file, good);
  assert.ok('state' in (await loadMonitorState(file, { ...SETTINGS, examples: 2 })));
});

test('storage: names a storage extension, resolved to its directory; a missing or disabled one is refused', () => {
  const registry = defaultComponents();
  const dir = mkdtempSync(join(tmpdir(), 'dt-anomaly-storage-'));
  const config = (storage: string, enabled: string) => `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
connectors:
  decision_anomaly:
    storage: ${storage}
exporters:
  prometheus:
    endpoint: 127.0.0.1:0
extensions:
  file_storage/anomaly:
    directory: ${dir}
service:
  extensions: ${enabled}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [decision_anomaly]
    metrics:
      receivers: [decision_anomaly]
      exporters: [prometheus]
`;
  const parsed = parseCollectorConfig(config('file_storage/anomaly', '[file_storage/anomaly]'), registry, {});
  assert.equal((parsed.connectors.get('decision_anomaly')!.config as { storage: string }).storage, dir);
  const errorsOf = (yaml: string) => {
    try {
      parseCollectorConfig(yaml, registry, {});
    } catch (error) {
      assert.ok(error instanceof ConfigErrors, String(error));
      return error.errors.map((e) => e.message);
    }
    return assert.fail('expected the config to be rejected');
  };
  assert.deepEqual(errorsOf(config('file_storage/other', '[file_storage/anomaly]')), [
    'connectors.decision_anomaly.storage: extension "file_storage/other" is not configured: add it under extensions (with its directory) and to service.extensions',
  ]);
  assert.deepEqual(errorsOf(config('file_storage/anomaly', '[]')), [
    'connectors.decision_anomaly.storage: extension "file_storage/anomaly" is configured but not enabled: add it to service.extensions',
  ]);
});
