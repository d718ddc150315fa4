import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ledgerCanonicalJson, ledgerCanonicalJsonReadBack, canonicalLedgerEntry, chainHash, GENESIS_HASH, ledgerRowHash } from '../src/ledger-hash.js';
import { parseJsonExact } from '@decision-trace/model';

test('canonical JSON sorts keys at every depth and has no whitespace', () => {
  assert.equal(ledgerCanonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  assert.equal(ledgerCanonicalJson({ b: 1, a: 2 }), ledgerCanonicalJson({ a: 2, b: 1 }));
});

test('canonical JSON: bigint as its exact number, undefined dropped, non-finite as null', () => {
  assert.equal(ledgerCanonicalJson({ n: 12345678901234567890n }), '{"n":12345678901234567890}');
  assert.equal(ledgerCanonicalJson({ gone: undefined, kept: 1, f: () => 1 }), '{"kept":1}');
  assert.equal(ledgerCanonicalJson([undefined, 1]), '[null,1]');
  assert.equal(ledgerCanonicalJson({ x: Number.NaN, y: Infinity }), '{"x":null,"y":null}');
  assert.equal(ledgerCanonicalJson(new Date(Date.UTC(2025, 0, 2))), '"2025-01-02T00:00:00.000Z"');
  assert.equal(ledgerCanonicalJson(new Uint8Array([1, 2])), '[1,2]');
  assert.equal(ledgerCanonicalJson('line\n"quoted" é'), JSON.stringify('line\n"quoted" é'));
  assert.equal(ledgerCanonicalJson(undefined), 'null');
});

/** The obvious encoding, to compare the optimised one with. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    return `{${Object.keys(object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${reference(object[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

test('canonical JSON: escapes and key order are those of JSON.stringify and a code-unit sort', () => {
  const tricky = {
    'quote"': 'say "hi"',
    'back\\slash': 'c:\\dir',
    control: 'tab\tnul\u0000bell\u0007',
    lone: 'high \ud800 low \udc00',
    pair: 'emoji 😀',
    latin: 'é ü ß',
    '10': 'integer-like keys sort as text',
    '9': 'after 10',
    '': 'empty key',
    Zebra: 'upper case first',
    apple: ['z', { y: 1, x: 2, é: 3, e: 4 }],
  };
  assert.equal(ledgerCanonicalJson(tricky), reference(tricky));
  // Twice: the second encoding reuses the quoted keys of the first.
  assert.equal(ledgerCanonicalJson(tricky), reference(tricky));
  assert.ok(ledgerCanonicalJson(tricky).startsWith('{"":"empty key","10":'));
});

test('encoding the exactly parsed output again gives the same text', () => {
  const value = { z: [1.5, -0, 1e21, 2 ** 60, 'ü'], a: { big: 2n ** 70n, safe: 9_007_199_254_740_993n, nested: { y: false, x: [] } }, m: null };
  const once = ledgerCanonicalJson(value);
  assert.match(once, /"safe":9007199254740993[,}]/);
  assert.equal(ledgerCanonicalJson(parseJsonExact(once)), once);
  // A double JSON.stringify wrote as an unsafe integer literal (old rows) reads back as the same digits.
  const oldRow = ledgerCanonicalJson({ at2p53: 9007199254740992, rounded: 2 ** 60 });
  assert.equal(ledgerCanonicalJson(parseJsonExact(oldRow)), oldRow);
});

test('the ledger entry wraps the canonical event with tenant, seq and received_at in key order', () => {
  const event = { event_id: 'e1', payload: { b: 2, a: 1 } };
  const entry = canonicalLedgerEntry('acme', 7, '2025-03-01T10:00:00.000Z', ledgerCanonicalJson(event));
  assert.equal(entry, ledgerCanonicalJson({ tenant_id: 'acme', seq: 7, received_at: '2025-03-01T10:00:00.000Z', event }));
});

test('the hash is SHA-256 hex of prev_hash, a newline and the canonical entry', () => {
  assert.equal(GENESIS_HASH, '0'.repeat(64));
  const entry = '{"event":{},"received_at":"t","seq":1,"tenant_id":"acme"}';
  const expected = createHash('sha256').update(`${GENESIS_HASH}\n${entry}`).digest('hex');
  assert.equal(chainHash(GENESIS_HASH, entry), expected);
  assert.equal(ledgerRowHash(GENESIS_HASH, { tenant_id: 'acme', seq: 1, received_at: 't', event: {} }), expected);
});

test('every hashed field changes the hash', () => {
  const base = { tenant_id: 'acme', seq: 1, received_at: '2025-03-01T10:00:00.000Z', event: { a: 1 } };
  const hash = ledgerRowHash(GENESIS_HASH, base);
  const variants = [
    ledgerRowHash('1'.repeat(64), base),
    ledgerRowHash(GENESIS_HASH, { ...base, tenant_id: 'globex' }),
    ledgerRowHash(GENESIS_HASH, { ...base, seq: 2 }),
    ledgerRowHash(GENESIS_HASH, { ...base, received_at: '2025-03-01T10:00:00.001Z' }),
    ledgerRowHash(GENESIS_HASH, { ...base, event: { a: 2 } }),
  ];
  for (const variant of variants) assert.notEqual(variant, hash);
  assert.equal(new Set(variants).size, variants.length);
});

test('canonical JSON: values JSON.stringify would write differently keep the canonical form', () => {
  // Keys that look like array indexes (JSON.stringify writes those first, in numeric order) and
  // some that only look close to one.
  assert.equal(ledgerCanonicalJson({ b: 1, '2': 2, '10': 3, '01': 4, '1.5': 5, '-1': 6 }), '{"-1":6,"01":4,"1.5":5,"10":3,"2":2,"b":1}');
  // A "__proto__" key stays a key.
  const withProto = JSON.parse('{"z":1,"__proto__":{"a":2}}') as unknown;
  assert.equal(ledgerCanonicalJson({ nested: withProto }), '{"nested":{"__proto__":{"a":2},"z":1}}');
  // toJSON and typed arrays deep inside, and on an array.
  const listWithToJson = Object.assign([1, 2], { toJSON: () => 'list' });
  assert.equal(
    ledgerCanonicalJson({ at: { when: new Date(Date.UTC(2025, 0, 2)) }, bytes: [new Uint8Array([3])], list: listWithToJson }),
    '{"at":{"when":"2025-01-02T00:00:00.000Z"},"bytes":[[3]],"list":"list"}',
  );
  // Boxed primitives are objects: their own keys, as Object.keys gives them.
  assert.equal(ledgerCanonicalJson([new Number(5), new String('ab'), new Boolean(true)]), '[{},{"0":"a","1":"b"},{}]');
  // Class instances, Maps and holes.
  class Point {
    constructor(
      readonly y: number,
      readonly x: number,
    ) {}
  }
  // eslint-disable-next-line no-sparse-arrays -- a hole is what is tested
  assert.equal(ledgerCanonicalJson({ p: new Point(2, 1), m: new Map([['k', 1]]), holes: [1, , 3] }), '{"holes":[1,null,3],"m":{},"p":{"x":1,"y":2}}');
  // A bigint deep inside an otherwise plain event.
  assert.equal(
    ledgerCanonicalJson({ payload: { evidence: { n: 2n ** 64n, b: 'x' } }, a: 1 }),
    '{"a":1,"payload":{"evidence":{"b":"x","n":18446744073709551616}}}',
  );
});

test('ledgerCanonicalJsonReadBack says whether parseJsonExact reads the JSON back as the value itself', () => {
  const readsBack: unknown[] = [
    { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } },
    ['\ud800', 'é', 0.1, -2, 1e21, -1e300, 9007199254740991, 1234567890123456.5],
    null,
    'text',
  ];
  /* eslint-disable no-sparse-arrays -- a hole reads back as null */
  const changes: unknown[] = [
    { gone: undefined },
    [undefined],
    ['a', , 'c'],
    { f: () => 1 },
    Number.NaN,
    { inf: -Infinity },
    -0,
    2 ** 60,
    5n,
    12345678901234567890n,
    new Date(0),
    new Uint8Array([1]),
    new Map(),
    Object.create(null) as object,
    { nested: [{ deep: new Set() }] },
  ];
  /* eslint-enable no-sparse-arrays */
  for (const value of readsBack) {
    const { json, readsBack: flag } = ledgerCanonicalJsonReadBack(value);
    assert.equal(json, ledgerCanonicalJson(value));
    assert.equal(flag, true, json);
    assert.deepStrictEqual(parseJsonExact(json), value);
  }
  for (const value of changes) {
    const { json, readsBack: flag } = ledgerCanonicalJsonReadBack(value);
    assert.equal(json, ledgerCanonicalJson(value));
    assert.equal(flag, false, json);
  }
});

test('canonical JSON: objects whose keys repeat from event to event, in other orders or with others, sort as their own keys say', () => {
  // ledgerCanonicalJson remembers the sorted order of a key list it has seen; every one of
  // these shares its first key with the others, so a list taken for another would misorder it.
  const shapes: Array<Record<string, unknown>> = [
    { schema_version: '1.0', event_id: 'a', decision_id: 'd', payload: { outcome: 'ok', confidence: 0.5 } },
    { schema_version: '1.0', decision_id: 'd', event_id: 'a', payload: { outcome: 'ok', alternatives: [] } },
    { schema_version: '1.0', event_id: 'a', decision_id: 'd', payload: { outcome: 'ok', confidence: 0.5, evidence: {} } },
    { schema_version: '1.0', event_id: 'a', payload: { confidence: 0.5, outcome: 'ok' }, decision_id: 'd' },
    { schema_version: '1.0', event_id: 'a', decision_id: 'd', zeta: 1, payload: { outcome: 'ok', confidence: 0.5 } },
    { schema_version: '1.0', event_id: 'a', decision_id: 'd', alpha: 1, payload: { outcome: 'ok', confidence: 0.5 } },
  ];
  for (let round = 0; round < 3; round++) {
    for (const shape of shapes) assert.equal(ledgerCanonicalJson(shape), reference(shape));
  }
});

test('canonical JSON equals the reference encoding over many varied events', () => {
  // A seeded generator: the same events on every run, of shapes that share keys and prefixes.
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const keys = [
    'id',
    'type',
    'outcome',
    'outcome_reason',
    'evidence',
    'policy',
    'é',
    'Z',
    'a',
    'ab',
    'a b',
    '😀',
    '\ud800',
    'x"y',
    '',
    'decision_id',
    'decision_type',
  ];
  const strings = ['', 'plain', 'é ü ß', 'emoji 😀', 'lone \ud800 high', 'lone \udfff low', 'tab\tnew\nline', 'nul\u0000', 'quote " back \\', '\u2028\u2029'];
  const numbers = [0, 1, -1, 0.55, 1e-7, 123456.789, 2 ** 31, Number.MAX_SAFE_INTEGER, -1e21, 5e-324];
  const value = (depth: number): unknown => {
    const kind = Math.floor(next() * (depth > 3 ? 5 : 7));
    switch (kind) {
      case 0:
        return pick(strings);
      case 1:
        return pick(numbers);
      case 2:
        return next() < 0.5;
      case 3:
        return null;
      case 4:
        return pick(strings) + pick(strings);
      case 5: {
        const items: unknown[] = [];
        for (let i = Math.floor(next() * 4); i > 0; i--) items.push(value(depth + 1));
        return items;
      }
      default: {
        const object: Record<string, unknown> = {};
        for (let i = Math.floor(next() * 6); i > 0; i--) object[pick(keys)] = value(depth + 1);
        return object;
      }
    }
  };
  for (let i = 0; i < 3000; i++) {
    const event: Record<string, unknown> = {
      schema_version: '1.0',
      event_id: `e${i}`,
      decision_id: pick(strings),
      event_type: 'decision.observed',
      payload: value(1),
      actor: next() < 0.3 ? null : { id: pick(strings), type: 'agent', version: null, org: null },
    };
    if (next() < 0.5) event[pick(keys)] = value(1);
    const json = ledgerCanonicalJson(event);
    assert.equal(json, reference(event), `event ${i}`);
    // The events read back as themselves (no bigint, -0, undefined or unsafe integer here).
    assert.equal(ledgerCanonicalJsonReadBack(event).json, json);
  }
});
