import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteDecisionStore } from '../src/sqlite/sqlite-store.js';
import { tempDir, withConnection } from './sqlite-test-database.js';

/**
 * Records of a database written by the previous release (legacy-0.1.db, unprefixed event
 * names, no audit chain) are verified against the fold of their events too (#17, defect 4).
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/legacy-0.1.db', import.meta.url));

function copy(): string {
  const file = join(tempDir(), 'decisions.db');
  copyFileSync(FIXTURE, file);
  return file;
}

test("a previous release's database is refolded by migration 10, verifies, and an edit of one of its records is named", async () => {
  const file = copy();
  const before = withConnection(file, (db) =>
    db.prepare("SELECT json_extract(record, '$.outcome') FROM decisions WHERE tenant_id = 'acme' AND id = 'refund-1'").pluck().get(),
  );
  assert.equal(before, 'confirmed', "the previous reducer let an evaluation's outcome set the record's");
  const intact = new SqliteDecisionStore(file);
  try {
    assert.equal((await intact.verifyLedger()).ok, true);
    const [refund] = await intact.getDecision('refund-1', { tenant: 'acme' });
    assert.equal(refund!.record.outcome, 'approved', "refolded: schema 1.0's evaluation no longer sets it");
  } finally {
    await intact.close();
  }
  withConnection(file, (db) => {
    const { changes } = db.prepare("UPDATE decisions SET record = json_set(record, '$.confidence', 0.5) WHERE tenant_id = 'acme' AND id = 'refund-1'").run();
    assert.equal(changes, 1);
  });
  const store = new SqliteDecisionStore(file);
  try {
    const verification = await store.verifyLedger();
    assert.equal(verification.ok, false);
    assert.equal(verification.first_broken?.kind, 'record');
    assert.equal(verification.first_broken?.decision_id, 'refund-1');
    assert.match(verification.first_broken!.reason, /confidence is 0\.5 but its ledger events give 0\.92/);
  } finally {
    await store.close();
  }
});
