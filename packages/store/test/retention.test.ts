import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalLedgerEntry, chainHash, GENESIS_HASH, ledgerCanonicalJson } from '../src/ledger-hash.js';
import { checkpointThrough } from '../src/ledger-pruning.js';
import { LedgerChainVerifier, type StoredLedgerRow } from '../src/ledger-verifier.js';
import { governingRetentionPolicy, planRetention, retentionTargetsByTenant, validateRetentionPolicies } from '../src/retention-policy.js';
import type { RetentionPolicy } from '../src/store.js';

const DAY = 86_400_000;

test('the most specific rule governs: tenant and type, tenant, type, then the catch-all', () => {
  const policies: RetentionPolicy[] = [
    { ttl_ms: 90 * DAY },
    { type: 'kyc.check', ttl_ms: 7 * DAY },
    { tenant: 'acme', ttl_ms: 365 * DAY },
    { tenant: 'acme', type: 'refund.approve', ttl_ms: 30 * DAY },
  ];
  const ttl = (tenant: string, type: string | null) => governingRetentionPolicy(policies, tenant, type)?.ttl_ms;
  assert.equal(ttl('acme', 'refund.approve'), 30 * DAY);
  assert.equal(ttl('acme', 'kyc.check'), 365 * DAY, "the tenant's own rule outranks a rule for the type across tenants");
  assert.equal(ttl('acme', null), 365 * DAY);
  assert.equal(ttl('globex', 'kyc.check'), 7 * DAY);
  assert.equal(ttl('globex', 'refund.approve'), 90 * DAY);
  assert.equal(ttl('globex', null), 90 * DAY);
  assert.equal(governingRetentionPolicy([{ tenant: 'acme', ttl_ms: DAY }], 'globex', 'x'), null, 'no rule: kept forever');
  assert.equal(governingRetentionPolicy([{ type: 'x', ttl_ms: DAY }], 'acme', null), null, 'a type rule does not cover untyped decisions');
});

test('planRetention: one target per stored tenant and type with a rule, cut-off in microseconds, by tenant', () => {
  const now = new Date('2025-03-31T00:00:00.000Z');
  const targets = planRetention(
    [
      { type: 'kyc.check', ttl_ms: DAY },
      { tenant: 'globex', ttl_ms: 2 * DAY },
    ],
    [
      { tenant: 'globex', type: 'refund.approve' },
      { tenant: 'acme', type: 'kyc.check' },
      { tenant: 'acme', type: 'refund.approve' },
      { tenant: 'globex', type: null },
      { tenant: 'globex', type: 'kyc.check' },
    ],
    now,
  );
  const micros = (ms: number) => (now.getTime() - ms) * 1000;
  assert.deepEqual(targets, [
    { tenant: 'acme', type: 'kyc.check', beforeMicros: micros(DAY) },
    { tenant: 'globex', type: null, beforeMicros: micros(2 * DAY) },
    { tenant: 'globex', type: 'kyc.check', beforeMicros: micros(2 * DAY) },
    { tenant: 'globex', type: 'refund.approve', beforeMicros: micros(2 * DAY) },
  ]);
  assert.deepEqual(
    [...retentionTargetsByTenant(targets)].map((run) => run.map((t) => `${t.tenant}/${t.type}`)),
    [['acme/kyc.check'], ['globex/null', 'globex/kyc.check', 'globex/refund.approve']],
  );
  assert.throws(() => planRetention([{ ttl_ms: DAY }], [], new Date(Number.NaN)), RangeError);
});

test('policies a backend could not apply unambiguously are refused', () => {
  validateRetentionPolicies([]);
  validateRetentionPolicies([{ ttl_ms: 1 }, { tenant: 'a', ttl_ms: 1 }, { type: 't', ttl_ms: 1 }, { tenant: 'a', type: 't', ttl_ms: 1 }]);
  const refused: Array<[unknown, RegExp]> = [
    [{}, /must be an array/],
    [[null], /expected an object/],
    [[{ ttl_ms: 0 }], /ttl_ms must be a positive whole number/],
    [[{ ttl_ms: '7d' }], /ttl_ms must be a positive whole number/],
    [[{ ttl_ms: Number.MAX_VALUE }], /ttl_ms must be a positive whole number/],
    [[{ type: 'refund.approve.v2', ttl_ms: DAY }], /version suffix/],
    [[{ tenant: 7, ttl_ms: DAY }], /tenant must be a non-empty string/],
    [
      [
        { type: 'a', ttl_ms: DAY },
        { type: 'a', ttl_ms: 2 * DAY },
      ],
      /policy 1: a second rule for tenant \(any\) and type a/,
    ],
  ];
  for (const [policies, message] of refused) {
    assert.throws(
      () => validateRetentionPolicies(policies as RetentionPolicy[]),
      (error: Error) => error instanceof RangeError && message.test(error.message),
    );
  }
});

test('checkpointThrough: up to the row before the first live one, never the last row, only forward', () => {
  assert.equal(checkpointThrough({ checkpointSeq: 0, firstLiveSeq: 5, lastSeq: 9 }), 4);
  assert.equal(checkpointThrough({ checkpointSeq: 0, firstLiveSeq: 1, lastSeq: 9 }), null, 'the first row is live');
  assert.equal(checkpointThrough({ checkpointSeq: 0, firstLiveSeq: null, lastSeq: 9 }), 8, 'all pruned: the last row stays');
  assert.equal(checkpointThrough({ checkpointSeq: 4, firstLiveSeq: 5, lastSeq: 9 }), null, 'nothing new since the checkpoint');
  assert.equal(checkpointThrough({ checkpointSeq: 8, firstLiveSeq: null, lastSeq: 9 }), null);
  assert.equal(checkpointThrough({ checkpointSeq: 0, firstLiveSeq: null, lastSeq: 1 }), null, 'a one-row chain keeps its row');
});

/** A tenant's chain of `count` rows from `start`, hashed as a store would; `pruned` seqs lose their event. */
function chain(tenant: string, count: number, pruned: ReadonlySet<number> = new Set()): StoredLedgerRow[] {
  const rows: StoredLedgerRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const event = { tenant_id: tenant, event_id: `e${seq}`, decision_id: `d${seq}`, event_type: 'decision.outcome', timestamp: '2025-03-01T10:00:00.000Z' };
    const receivedAt = '2025-03-01T10:00:01.000Z';
    const hash = chainHash(prev, canonicalLedgerEntry(tenant, seq, receivedAt, ledgerCanonicalJson(event)));
    rows.push(
      pruned.has(seq)
        ? {
            row: seq,
            tenant_id: tenant,
            seq,
            event_id: `e${seq}`,
            decision_id: '',
            event_type: '',
            timestamp: '',
            received_at: '',
            event: '',
            prev_hash: prev,
            hash,
          }
        : {
            row: seq,
            tenant_id: tenant,
            seq,
            event_id: `e${seq}`,
            decision_id: `d${seq}`,
            event_type: 'decision.outcome',
            timestamp: event.timestamp,
            received_at: receivedAt,
            event: JSON.stringify(event),
            prev_hash: prev,
            hash,
          },
    );
    prev = hash;
  }
  return rows;
}

function verify(rows: StoredLedgerRow[], checkpoints: Parameters<LedgerChainVerifier['startFromCheckpoints']>[0], counts: Record<string, number>) {
  const verifier = new LedgerChainVerifier();
  const start = verifier.startFromCheckpoints(checkpoints);
  if (start !== null) return start;
  for (const row of rows) {
    const problem = verifier.check(row);
    if (problem !== null) return problem;
  }
  return verifier.finish(new Map(Object.entries(counts)));
}

test('verification starts at the newest checkpoint and checks pruned rows by their links only', () => {
  const rows = chain('acme', 8, new Set([1, 2, 3, 6]));
  const checkpoint = (seq: number, removed: number) => ({ tenant_id: 'acme', seq, hash: rows[seq - 1]!.hash, removed, created_at: 'now' });
  // Rows 1–3 were cut behind two checkpoints; row 6 is pruned in place; 4, 5, 7, 8 are live.
  assert.equal(verify(rows.slice(3), [checkpoint(1, 1), checkpoint(3, 2)], { acme: 4 }), null);
  assert.equal(verify(chain('acme', 3), [], { acme: 3 }), null, 'without checkpoints a chain starts at genesis');

  const gap = verify(rows.slice(4), [checkpoint(3, 3)], { acme: 3 });
  assert.deepEqual([gap?.seq, gap?.reason], [5, 'seq gap: expected 4, found 5']);
  const wrongStart = verify(rows.slice(3), [{ ...checkpoint(3, 3), hash: rows[1]!.hash }], { acme: 4 });
  assert.deepEqual([wrongStart?.seq, wrongStart?.reason], [4, 'prev_hash does not match previous row']);
  const badHistory = verify(rows.slice(3), [checkpoint(1, 1), checkpoint(3, 3)], { acme: 4 });
  assert.match(badHistory!.reason, /checkpoint at seq 3 says it removed 3 rows, but the previous checkpoint is at seq 1/);
  const relinked = rows.slice(3).map((row) => (row.seq === 6 ? { ...row, hash: 'f'.repeat(64) } : row));
  assert.equal(verify(relinked, [checkpoint(3, 3)], { acme: 4 })?.seq, 7, "a pruned row's hash must still be the next row's prev_hash");

  // Pruned rows are not counted as events the records were built from.
  const counted = verify(rows.slice(3), [checkpoint(3, 3)], { acme: 5 });
  assert.match(counted!.reason, /^rows missing at the end: the chain ends at seq 8 with 4 events but decision records count 5 events$/);
  const nothingAfter = verify([], [checkpoint(3, 3)], {});
  assert.deepEqual([nothingAfter?.seq, nothingAfter?.reason], [4, 'rows missing at the end: nothing follows the checkpoint at seq 3']);
});
