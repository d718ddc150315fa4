import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketValue,
  DURATION_RELATIVE_ACCURACY,
  DurationSketch,
  durationBucket,
  MIN_TRACKED_DURATION_MS,
  postgresDurationBucketSql,
  ZERO_BUCKET,
} from '../src/duration-sketch.js';
import { postgresUnreachableReason, withAdminConnection } from './postgres-test-database.js';

/** Values next to bucket edges: powers of two and the doubles either side, and edges of sub-buckets. */
function edgeValues(): number[] {
  const values: number[] = [0, MIN_TRACKED_DURATION_MS / 2, MIN_TRACKED_DURATION_MS, 1e-6, 0.25, 300, 1500, 86_400_000, 1e12];
  const buffer = new Float64Array(1);
  const bits = new BigInt64Array(buffer.buffer);
  const neighbours = (value: number): number[] => {
    buffer[0] = value;
    const exact = bits[0]!;
    return [-1n, 0n, 1n].map((step) => {
      bits[0] = exact + step;
      return buffer[0]!;
    });
  };
  for (let exponent = -29; exponent <= 40; exponent += 3) {
    for (const sub of [0, 1, 31, 63]) values.push(...neighbours(2 ** exponent * (1 + sub / 64)));
  }
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    values.push(10 ** ((seed / 2 ** 31) * 12 - 4));
  }
  return values;
}

test('every duration is reported within the stated relative accuracy of its bucket', () => {
  for (const value of edgeValues()) {
    const reported = bucketValue(durationBucket(value));
    if (value < MIN_TRACKED_DURATION_MS) {
      assert.equal(durationBucket(value), ZERO_BUCKET);
      assert.equal(reported, 0);
      continue;
    }
    assert.ok(Math.abs(reported - value) <= value * DURATION_RELATIVE_ACCURACY * (1 + 1e-12), `${value} reported as ${reported}`);
  }
  assert.ok(DURATION_RELATIVE_ACCURACY < 0.008);
});

test('a sketch merges and subtracts by bucket; percentiles interpolate between ranks', () => {
  const sketch = new DurationSketch();
  for (const value of [0, 0, 500, 1000, 2000]) sketch.add(value);
  const stored = new DurationSketch();
  stored.addBytes(sketch.toBytes());
  assert.deepEqual(stored.percentiles(), sketch.percentiles());
  const { count, p50, p90, max } = sketch.percentiles();
  assert.equal(count, 5);
  assert.ok(Math.abs(p50! - 500) <= 500 * DURATION_RELATIVE_ACCURACY);
  assert.ok(Math.abs(p90! - 1600) <= 1600 * DURATION_RELATIVE_ACCURACY, `p90 ${p90}`);
  assert.ok(Math.abs(max! - 2000) <= 2000 * DURATION_RELATIVE_ACCURACY);
  sketch.add(2000, -1);
  sketch.add(0, -2);
  assert.equal(sketch.size, 2, 'buckets at zero are dropped');
  assert.equal(sketch.percentiles().count, 2);
  assert.deepEqual(new DurationSketch().percentiles(), { count: 0, p50: null, p90: null, p95: null, p99: null, max: null });
});

test('merging into the stored bytes gives the bytes of the summed sketch', () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const stored = new DurationSketch();
    const delta = new DurationSketch();
    for (let i = 0; i < next() * 300; i++) stored.add(next() < 0.1 ? 0 : 10 ** (next() * 5));
    for (let i = 0; i < next() * 5; i++) delta.add(next() < 0.1 ? 0 : 10 ** (next() * 5), next() < 0.3 ? -1 : 1);
    // A removal takes away a duration the stored sketch holds.
    if (stored.size > 0 && next() < 0.5) delta.addBucket([...stored.counts.keys()][0]!, -stored.counts.get([...stored.counts.keys()][0]!)!);
    const summed = new DurationSketch();
    summed.addBytes(stored.toBytes());
    for (const [index, count] of delta.counts) summed.addBucket(index, count);
    assert.deepEqual(delta.mergedBytes(stored.toBytes()), summed.toBytes(), `round ${round}`);
  }
  assert.deepEqual(new DurationSketch().mergedBytes(null), Buffer.alloc(0));
});

const unreachable = await postgresUnreachableReason();

test('PostgreSQL puts every duration in the same bucket as JavaScript', unreachable === null ? {} : { skip: unreachable }, async () => {
  const values = edgeValues();
  const { rows } = await withAdminConnection((client) =>
    client.query<{ bucket: number }>(`SELECT ${postgresDurationBucketSql('v')} AS bucket FROM unnest($1::float8[]) WITH ORDINALITY AS t(v, i) ORDER BY i`, [
      values,
    ]),
  );
  assert.deepEqual(
    rows.map((row) => row.bucket),
    values.map(durationBucket),
  );
});
