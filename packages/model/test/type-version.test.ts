import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTypeVersion } from '../src/type-version.js';

test('splits a `.v<digits>` suffix off the type', () => {
  assert.deepEqual(parseTypeVersion('refund.approve.v2'), { type: 'refund.approve', version: 'v2' });
  assert.deepEqual(parseTypeVersion('loan.v10'), { type: 'loan', version: 'v10' });
});

test('keeps minor parts written with a dot or an underscore in the version', () => {
  assert.deepEqual(parseTypeVersion('pricing.quote.v1.2'), { type: 'pricing.quote', version: 'v1.2' });
  assert.deepEqual(parseTypeVersion('kyc.check.v3_1'), { type: 'kyc.check', version: 'v3_1' });
  assert.deepEqual(parseTypeVersion('a.b.v10.3.4'), { type: 'a.b', version: 'v10.3.4' });
});

test('only the last version-looking segment is the version', () => {
  assert.deepEqual(parseTypeVersion('migrate.v1.v2'), { type: 'migrate.v1', version: 'v2' });
});

test('a type without a suffix has a null version', () => {
  assert.deepEqual(parseTypeVersion('refund.approve'), { type: 'refund.approve', version: null });
  assert.deepEqual(parseTypeVersion('refund.v2x'), { type: 'refund.v2x', version: null });
  assert.deepEqual(parseTypeVersion('refund.V2'), { type: 'refund.V2', version: null });
  assert.deepEqual(parseTypeVersion('v2'), { type: 'v2', version: null });
  assert.deepEqual(parseTypeVersion('.v2'), { type: '.v2', version: null });
});

test('trims whitespace; empty or missing input has neither type nor version', () => {
  assert.deepEqual(parseTypeVersion('  refund.approve.v2 '), { type: 'refund.approve', version: 'v2' });
  assert.deepEqual(parseTypeVersion(''), { type: null, version: null });
  assert.deepEqual(parseTypeVersion('   '), { type: null, version: null });
  assert.deepEqual(parseTypeVersion(null), { type: null, version: null });
  assert.deepEqual(parseTypeVersion(undefined), { type: null, version: null });
});
