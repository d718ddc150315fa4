import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { HashRing, hashString } from '../src/exporters/load_balancing/hash-ring.js';

/** Deterministic, well-spread trace ids (the same in every run and every process). */
function traceIds(count: number, seed = 'ring'): string[] {
  return Array.from({ length: count }, (_, i) => createHash('sha256').update(`${seed}:${i}`).digest('hex').slice(0, 32));
}

/** FNV-1a 32 then MurmurHash3's fmix32, computed independently (Python) from the algorithm's definition. */
const PINNED_HASHES = [2872998923, 444641715, 2087648728];

const NAMINGS: Array<(i: number) => string> = [(i) => `sampler-${i}.collectors.svc:4317`, (i) => `127.0.0.1:${41000 + i * 13}`, (i) => `10.1.0.${i + 1}:4317`];

describe('consistent-hash ring', () => {
  const keys = traceIds(60_000);

  test('balance over 3–10 backends: the largest share is within 10% of the mean', () => {
    for (const name of NAMINGS) {
      for (let n = 3; n <= 10; n++) {
        const ring = new HashRing(Array.from({ length: n }, (_, i) => name(i)));
        const counts = new Array<number>(n).fill(0);
        for (const key of keys) counts[ring.indexOf(key)] += 1;
        const mean = keys.length / n;
        const largest = Math.max(...counts);
        assert.ok(largest <= mean * 1.1, `${n} backends named like ${name(0)}: largest share ${largest} vs mean ${mean.toFixed(0)}`);
        assert.ok(Math.min(...counts) > 0, 'every backend owns keys');
      }
    }
  });

  test('adding a backend moves only keys to it, about 1/N of them (at most 1.5/N)', () => {
    for (const name of NAMINGS) {
      for (let n = 3; n <= 9; n++) {
        const before = new HashRing(Array.from({ length: n }, (_, i) => name(i)));
        const joined = name(n);
        const after = new HashRing([...before.members, joined]);
        let moved = 0;
        for (const key of keys) {
          const was = before.ownerOf(key);
          const is = after.ownerOf(key);
          if (was === is) continue;
          moved += 1;
          assert.equal(is, joined, 'a key that moves moves to the new backend, never between old ones');
        }
        const size = n + 1;
        assert.ok(moved / keys.length <= 1.5 / size, `${n}→${size}: moved ${(moved / keys.length).toFixed(3)} of the keys`);
        assert.ok(moved / keys.length >= 0.5 / size, `${n}→${size}: the new backend takes a fair share`);
      }
    }
  });

  test('removing a backend moves exactly its keys; the others stay where they were', () => {
    const members = Array.from({ length: 5 }, (_, i) => NAMINGS[0](i));
    const full = new HashRing(members);
    const gone = members[2];
    const reduced = new HashRing(members.filter((m) => m !== gone));
    let moved = 0;
    for (const key of keys) {
      const was = full.ownerOf(key);
      if (was === gone) {
        moved += 1;
        assert.notEqual(reduced.ownerOf(key), gone);
      } else {
        assert.equal(reduced.ownerOf(key), was);
      }
    }
    assert.ok(moved > keys.length * 0.1 && moved < keys.length * 0.3, `about a fifth of the keys moved (${moved})`);
  });

  test('the order members are given in does not matter; duplicates count once', () => {
    const members = Array.from({ length: 7 }, (_, i) => NAMINGS[1](i));
    const a = new HashRing(members);
    const b = new HashRing([...members].reverse().concat(members[3]));
    assert.deepEqual(b.members, a.members);
    for (const key of keys.slice(0, 5000)) assert.equal(b.ownerOf(key), a.ownerOf(key));
  });

  test('an empty ring owns nothing; a one-member ring owns everything', () => {
    const empty = new HashRing([]);
    assert.equal(empty.indexOf('x'), -1);
    assert.equal(empty.ownerOf('x'), undefined);
    const one = new HashRing(['only:4317']);
    assert.ok(keys.slice(0, 1000).every((key) => one.ownerOf(key) === 'only:4317'));
  });

  test('same key → same backend in another process', () => {
    const members = Array.from({ length: 4 }, (_, i) => NAMINGS[0](i));
    const sample = keys.slice(0, 2000);
    const here = sample.map((key) => new HashRing(members).ownerOf(key) ?? '');
    const script = `
      import { HashRing } from ${JSON.stringify(new URL('../src/exporters/load_balancing/hash-ring.ts', import.meta.url).pathname)};
      const { members, keys } = JSON.parse(process.argv[1]);
      const ring = new HashRing([...members].reverse());
      process.stdout.write(JSON.stringify(keys.map((k) => ring.ownerOf(k))));
    `;
    const there = JSON.parse(
      execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, JSON.stringify({ members, keys: sample })], {
        encoding: 'utf8',
      }),
    ) as string[];
    assert.deepEqual(there, here);
    assert.equal(new Set(here).size, 4, 'the sample spreads over every backend');
  });

  test('the hash is pinned: changing it would make old and new routing tiers disagree', () => {
    assert.deepEqual(['', 'a', '5b8efff798038103d269b633813fc60c'].map(hashString), PINNED_HASHES);
  });
});
