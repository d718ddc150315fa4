import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT, runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';

/**
 * A database written by the release before schema 1.0's event names (#14; see
 * packages/store/test/fixtures/make-legacy-db.ts), opened by today's collector and CLI: it
 * verifies, and the API answers its events under the schema names.
 */
const FIXTURE = join(REPO_ROOT, 'packages/store/test/fixtures/legacy-0.1.db');

describe('a database of the release before schema 1.0 event names', () => {
  let collector: RunningCollector;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-legacy-db-'));
    copyFileSync(FIXTURE, join(dir, 'decisions.db'));
    collector = await startCollector({ dir });
  });
  after(async () => {
    await collector?.stop();
  });

  test('the API answers its events under schema 1.0 names, its records as stored', async () => {
    const res = await fetch(`${collector.apiUrl}/v1/decisions/refund-1?tenant=acme`);
    assert.equal(res.status, 200);
    const record = (await res.json()) as Record<string, any>;
    assert.deepEqual(
      record.events.map((e: { event: { event_type: string } }) => e.event.event_type),
      [
        'decision.start',
        'decision.evidence',
        'decision.evidence',
        'decision.policy_check',
        'decision.action',
        'decision.approval',
        'decision.outcome',
        'decision.evaluation',
      ],
    );
    assert.deepEqual(record.evidence, { order_total: 120.5, customer: { tier: 'gold', years: 4 } });
    assert.equal(record.actions.length, 1);
    const loan = (await (await fetch(`${collector.apiUrl}/v1/decisions/loan-7`)).json()) as Record<string, any>;
    assert.equal(loan.outcome, 'denied');
    assert.equal(loan.evaluations.length, 1);
  });

  test('a late event under the schema name joins the old chain; verify says intact before and after', async () => {
    const late = [
      {
        event_id: 'a-12',
        tenant_id: 'acme',
        decision_id: 'notify-1',
        event_type: 'decision.evaluation',
        timestamp: '2026-12-01T08:00:00.000Z',
        payload: { score: 1 },
      },
    ];
    const res = await fetch(`${collector.apiUrl}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(late) });
    assert.equal(res.status, 200, await res.clone().text());
    const shown = await runCli(['show', 'notify-1', '--endpoint', collector.apiUrl, '--tenant', 'acme']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /notify\.customer/);
    await collector.stop();
    const verified = await runCli(['verify', '--storage', `sqlite:${collector.dbPath}`]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /ledger intact: 20 rows verified/);
  });
});
