import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { ConfigErrors, defaultComponents, parseCollectorConfig } from '@decision-trace/collector';
import { runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';
import { testCollectorConfig, type CollectorPorts } from './helpers/test-config.js';

/**
 * Tampering behind the store's back (issue 17, defect 4), end to end: a real collector writes
 * decisions, audit entries and a witness file; the test then edits copies of its SQLite file
 * directly and runs the real `decision-trace verify --witness` on each, and asks
 * `GET /v1/ledger/verify` of a collector started on a tampered copy.
 */

const ADMIN_KEY = 'tamper-admin-key-0123456789';
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

function tamperConfig(witness: string) {
  return (p: CollectorPorts): string =>
    testCollectorConfig(p, {
      exporters: { decisions: { witness: { path: witness, interval: '50ms' } } },
      extensions: { decision_api: { auth: { api_keys: [{ name: 'ops', key: ADMIN_KEY, role: 'admin' }] } } },
    });
}

function events(tenant: string, id: string, outcome: string, second: number): unknown[] {
  const common = { tenant_id: tenant, decision_id: id, decision_type: 'refund.approve.v2', trace_id: null };
  return [
    { ...common, event_id: `${id}-start`, event_type: 'decision.start', timestamp: `2026-11-20T10:00:0${second}.000Z`, payload: {} },
    {
      ...common,
      event_id: `${id}-evidence`,
      event_type: 'evidence',
      timestamp: `2026-11-20T10:00:0${second}.100Z`,
      payload: { key: 'order_total', value: 120 },
    },
    {
      ...common,
      event_id: `${id}-outcome`,
      event_type: 'outcome',
      timestamp: `2026-11-20T10:00:0${second}.200Z`,
      payload: { status: outcome, confidence: 0.8 },
    },
  ];
}

/** A copy of the stopped collector's database (with its WAL, if any) to tamper with. */
function copyDatabase(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dt-tamper-copy-'));
  const target = join(dir, 'decisions.db');
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(source + suffix)) copyFileSync(source + suffix, target + suffix);
  }
  return target;
}

function tamper(file: string, sql: string, ...params: unknown[]): void {
  const db = new Database(file);
  try {
    const { changes } = db.prepare(sql).run(...params);
    assert.ok(changes > 0, `the tampering statement changed something: ${sql}`);
  } finally {
    db.close();
  }
}

describe('tampering behind the store is caught by decision-trace verify --witness', () => {
  let collector: RunningCollector;
  let witness: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-tamper-'));
    witness = join(dir, 'witness', 'heads.jsonl');
    collector = await startCollector({ dir, config: tamperConfig(witness) });
    const body = [...events('acme', 'a1', 'approved', 1), ...events('acme', 'a2', 'denied', 2), ...events('globex', 'g1', 'approved', 3)];
    const posted = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(posted.status, 200, await posted.text());
    for (const path of ['/v1/decisions?tenant=acme', '/v1/decisions/a1', '/v1/stats?tenant=globex']) {
      assert.equal((await fetch(`${collector.apiUrl}${path}`, { headers: auth })).status, 200, path);
    }
    // Listing the audit log writes the pending entries first.
    const audit = (await (await fetch(`${collector.apiUrl}/v1/audit`, { headers: auth })).json()) as { entries: unknown[] };
    assert.ok(audit.entries.length >= 3, 'the reads are audited');
    const verified = (await (await fetch(`${collector.apiUrl}/v1/ledger/verify`, { headers: auth })).json()) as { ok: boolean };
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.equal(await collector.stop(), 0, collector.logs());
  });

  after(async () => {
    await collector?.stop();
  });

  async function verify(file: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return runCli(['verify', '--storage', `sqlite:${file}`, '--witness', witness, ...extra]);
  }

  test('the untouched store verifies against its witness file, which holds every chain head', async () => {
    const lines = readFileSync(witness, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ledger?: Record<string, { seq: number }>; audit?: { seq: number } });
    const newest = (tenant: string) => Math.max(...lines.map((line) => line.ledger?.[tenant]?.seq ?? 0));
    assert.equal(newest('acme'), 6);
    assert.equal(newest('globex'), 3);
    assert.ok(Math.max(...lines.map((line) => line.audit?.seq ?? 0)) >= 4, 'the audit head is witnessed');
    const result = await verify(copyDatabase(collector.dbPath));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /ledger intact: 9 rows verified; decision records match their events; audit log intact; every chain head of .* is present/);
  });

  const recordEdits: Array<[string, string, RegExp]> = [
    [
      "the record JSON's outcome",
      `UPDATE decisions SET record = json_set(record, '$.outcome', 'denied') WHERE id = 'a1'`,
      /outcome is "denied" but its ledger events give "approved"/,
    ],
    [
      "the record JSON's confidence",
      `UPDATE decisions SET record = json_set(record, '$.confidence', 0.99) WHERE id = 'a1'`,
      /confidence is 0\.99 but its ledger events give 0\.8/,
    ],
    [
      "the record JSON's evidence",
      `UPDATE decisions SET record = json_set(record, '$.evidence.order_total', 12) WHERE id = 'a1'`,
      /evidence is \{"order_total":12\}/,
    ],
    [
      "the record JSON's updated_at",
      `UPDATE decisions SET record = json_set(record, '$.updated_at', '2026-01-01T00:00:00.000Z') WHERE id = 'a1'`,
      /updated_at/,
    ],
    ['the outcome column (what filters and stats read)', `UPDATE decisions SET outcome = 'denied' WHERE id = 'a1'`, /column outcome is "denied"/],
    ['the confidence column', `UPDATE decisions SET confidence = 0.1 WHERE id = 'a1'`, /column confidence is 0\.1/],
  ];
  for (const [what, sql, reason] of recordEdits) {
    test(`${what} edited behind the store: exit 1 naming the decision`, async () => {
      const file = copyDatabase(collector.dbPath);
      tamper(file, sql);
      const result = await verify(file);
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /decision record BROKEN \(tenant acme, decision a1\)/);
      assert.match(result.stdout, reason);
    });
  }

  test("a tenant's whole chain deleted with its records: exit 1 naming the tenant, only with the witness", async () => {
    const file = copyDatabase(collector.dbPath);
    tamper(file, `DELETE FROM ledger WHERE tenant_id = 'globex'`);
    tamper(file, `DELETE FROM decisions WHERE tenant_id = 'globex'`);
    const withoutWitness = await runCli(['verify', '--storage', `sqlite:${file}`]);
    assert.equal(withoutWitness.code, 0, 'nothing inside the database reveals it');
    const result = await verify(file);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /witness MISMATCH \(tenant globex, seq 3\): .*no row there/);
  });

  test('an audit entry edited: exit 1 naming the entry', async () => {
    const file = copyDatabase(collector.dbPath);
    tamper(file, `UPDATE audit_log SET path = '/v1/health' WHERE seq = 2`);
    const result = await verify(file);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /audit log BROKEN at entry 2 \(row \d+\): audit entry hash mismatch/);
  });

  test('an audit entry deleted from the middle, and the newest one deleted: exit 1 each', async () => {
    const middle = copyDatabase(collector.dbPath);
    tamper(middle, `DELETE FROM audit_log WHERE seq = 2`);
    const gap = await verify(middle);
    assert.equal(gap.code, 1, gap.stdout + gap.stderr);
    assert.match(gap.stdout, /audit log BROKEN at entry 3 .*audit seq gap: expected 2, found 3/);

    const newest = copyDatabase(collector.dbPath);
    tamper(newest, `DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`);
    const tail = await verify(newest);
    assert.equal(tail.code, 1, tail.stdout + tail.stderr);
    assert.match(tail.stdout, /witness MISMATCH \(audit log, seq \d+\): the witness saw the audit log reach seq \d+/);
  });

  test('a ledger row edited: exit 1 naming the row (as before)', async () => {
    const file = copyDatabase(collector.dbPath);
    tamper(file, `UPDATE ledger SET event = replace(event, '"denied"', '"approved"') WHERE event_id = 'a2-outcome'`);
    const result = await verify(file);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /ledger BROKEN at row \d+ \(tenant acme, seq 6, event a2-outcome\): hash mismatch/);
  });

  test('an unreadable witness file exits 2 and says why', async () => {
    const missing = await runCli(['verify', '--storage', `sqlite:${copyDatabase(collector.dbPath)}`, '--witness', join(tmpdir(), 'no-such-witness.jsonl')]);
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.match(missing.stderr, /cannot use the witness file/);
    const garbage = join(mkdtempSync(join(tmpdir(), 'dt-tamper-')), 'garbage.jsonl');
    writeFileSync(garbage, 'not a witness line\n{"ledger":{}}\n');
    const bad = await runCli(['verify', '--storage', `sqlite:${copyDatabase(collector.dbPath)}`, '--witness', garbage]);
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /line 1: not JSON/);
  });

  test('GET /v1/ledger/verify of a collector on a tampered store reports what the CLI reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-tamper-api-'));
    const file = join(dir, 'decisions.db');
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(collector.dbPath + suffix)) copyFileSync(collector.dbPath + suffix, file + suffix);
    }
    tamper(file, `DELETE FROM ledger WHERE tenant_id = 'globex'`);
    tamper(file, `DELETE FROM decisions WHERE tenant_id = 'globex'`);
    const cli = await runCli(['verify', '--storage', `sqlite:${file}`, '--witness', witness, '--json']);
    assert.equal(cli.code, 1);
    const expected = JSON.parse(cli.stdout) as { first_broken: unknown };
    // The restarted collector appends to the same witness file, which still holds globex's head.
    const restarted = await startCollector({ dir, config: tamperConfig(witness) });
    try {
      const res = await fetch(`${restarted.apiUrl}/v1/ledger/verify`, { headers: auth });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { ok: boolean; first_broken: unknown };
      assert.equal(body.ok, false);
      assert.deepEqual(body.first_broken, expected.first_broken);
    } finally {
      await restarted.stop();
    }
  });
});

describe('exporters.decisions.witness config', () => {
  function errorsOf(decisions: Record<string, unknown>): string[] {
    const yaml = stringify({
      receivers: { otlp: { protocols: { http: { endpoint: '127.0.0.1:0' } } } },
      processors: { decision: {} },
      exporters: { decisions },
      service: { pipelines: { traces: { receivers: ['otlp'], processors: ['decision'], exporters: ['decisions'] } } },
    });
    try {
      parseCollectorConfig(yaml, defaultComponents(), {});
    } catch (error) {
      assert.ok(error instanceof ConfigErrors, String(error));
      return error.errors.map((e) => e.message);
    }
    return [];
  }

  test('path is required, interval is a duration, and only the embedded store has a witness', () => {
    assert.deepEqual(errorsOf({ storage: 'sqlite::memory:', witness: { path: './w.jsonl', interval: '250ms' } }), []);
    assert.match(errorsOf({ storage: 'sqlite::memory:', witness: {} }).join('\n'), /exporters\.decisions\.witness\.path/);
    assert.match(
      errorsOf({ storage: 'sqlite::memory:', witness: { path: './w.jsonl', interval: 'soon' } }).join('\n'),
      /exporters\.decisions\.witness\.interval/,
    );
    assert.match(
      errorsOf({ endpoint: 'http://127.0.0.1:1', witness: { path: './w.jsonl' } }).join('\n'),
      /exporters\.decisions\.witness: only applies to the embedded store/,
    );
  });

  test('a witness file that cannot be written fails the start (exit 1) naming witness.path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-witness-start-'));
    const regularFile = join(dir, 'a-regular-file');
    writeFileSync(regularFile, 'not a directory');
    const [http, api] = await Promise.all([freePort(), freePort()]);
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      testCollectorConfig(
        { http, grpc: await freePort(), api, dbPath: join(dir, 'decisions.db') },
        { exporters: { decisions: { witness: { path: join(regularFile, 'witness.jsonl') } } } },
      ),
    );
    const { code, stdout, stderr } = await runCli(['start', '--config', config]);
    assert.equal(code, 1, stdout + stderr);
    assert.match(stderr, /exporters\.decisions\.witness\.path: /);
  });
});
