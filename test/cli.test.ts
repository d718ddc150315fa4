import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli, startCollector } from './helpers/collector-process.js';

function tempConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dt-cli-'));
  const file = join(dir, 'collector-config.yaml');
  writeFileSync(file, yaml);
  return file;
}

const minimal = (endpoint: string, extra = '') => `
receivers:
  otlp:
    protocols:
      http:
        endpoint: ${endpoint}${extra}
processors:
  decision: {}
exporters:
  decisions:
    storage: sqlite:./data/never.db
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [decision]
      exporters: [decisions]
`;

describe('decision-trace CLI', () => {
  test('start with an unknown key exits non-zero naming the YAML path', async () => {
    const result = await runCli(['start', '--config', tempConfig(minimal('127.0.0.1:0', '\n        bogus_key: true'))]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /receivers\.otlp\.protocols\.http\.bogus_key: unknown key/);
  });

  test('start with a bad port exits non-zero naming the YAML path', async () => {
    const result = await runCli(['start', '--config', tempConfig(minimal('127.0.0.1:99999'))]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /receivers\.otlp\.protocols\.http\.endpoint: invalid port 99999/);
  });

  test('start with a missing config file exits non-zero', async () => {
    const result = await runCli(['start', '--config', '/nonexistent/collector-config.yaml']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot read the file \/nonexistent\/collector-config\.yaml: no such file/);
  });

  test('verify passes on an intact ledger and names the altered row otherwise', async () => {
    const collector = await startCollector();
    const events = ['a', 'b', 'c'].map((id, i) => ({
      tenant_id: 'acme',
      decision_id: `v-${id}`,
      decision_type: 'kyc.check.v1',
      event_id: `v-${id}-o`,
      event_type: 'decision.outcome',
      timestamp: `2026-11-20T10:00:0${i}.000Z`,
      payload: { status: 'pass' },
    }));
    const res = await fetch(`${collector.apiUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(res.status, 200);

    const query = await runCli(['query', '--endpoint', collector.apiUrl, '--type', 'kyc.check']);
    assert.equal(query.code, 0, query.stderr);
    assert.match(query.stdout, /v-a/);
    assert.match(query.stdout, /kyc\.check\s+v1\s+pass/);
    const json = await runCli(['query', '--endpoint', collector.apiUrl, '--type', 'kyc.check.v1', '--json']);
    assert.equal(JSON.parse(json.stdout).decisions.length, 3);
    await collector.stop();

    const storage = `sqlite:${collector.dbPath}`;
    const ok = await runCli(['verify', '--storage', storage]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /ledger intact: 3 rows verified/);

    const db = new Database(collector.dbPath);
    const target = db.prepare("SELECT rowid AS row, event FROM ledger WHERE event_id = 'v-b-o'").get() as { row: number; event: string };
    db.prepare('UPDATE ledger SET event = ? WHERE rowid = ?').run(target.event.replace('"pass"', '"fail"'), target.row);
    db.close();

    const broken = await runCli(['verify', '--storage', storage]);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stdout, new RegExp(`ledger BROKEN at row ${target.row} .*event v-b-o`));
  });

  test('query against a collector that is not running says so', async () => {
    const result = await runCli(['query', '--endpoint', 'http://127.0.0.1:1']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /cannot reach the decision API/);
  });
});
