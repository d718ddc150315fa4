import * as crypto from 'node:crypto';

/**
 * The ledger's hash chain, shared by every backend so that a ledger verifies the same way
 * whichever database holds it.
 *
 * hash = SHA-256 hex of `prev_hash + "\n" + canonical entry`, where the canonical entry is the
 * canonical JSON of `{event, received_at, seq, tenant_id}`. A tenant's first row chains from
 * GENESIS_HASH.
 */

export const GENESIS_HASH = '0'.repeat(64);

export interface HashedLedgerFields {
  tenant_id: string;
  seq: number;
  received_at: string;
  event: unknown;
}

/**
 * Deterministic JSON: object keys sorted (by UTF-16 code units) at every depth, no whitespace,
 * bigint as its exact decimal number, undefined/functions/symbols dropped from objects and null in
 * arrays, non-finite numbers as null, `toJSON` honoured, typed arrays as arrays of numbers.
 * Parsing the output (with parseJsonExact) and encoding it again gives the same text, so a
 * backend may store either this text or the parsed value and still verify.
 */
export function ledgerCanonicalJson(value: unknown): string {
  return canonicalJson(value, null);
}

/**
 * ledgerCanonicalJson, and whether parseJsonExact(json) reads back a value equal to `value`
 * (key order aside): plain objects and arrays, strings, booleans, null and finite numbers that
 * read back as numbers. False for anything the text changes or drops: undefined, functions,
 * non-finite numbers, -0, integers between 2^53 and 1e21 held as doubles (they read back as bigints),
 * bigints, `toJSON` (Dates), typed arrays, Maps and other non-plain objects, array holes.
 */
export function ledgerCanonicalJsonReadBack(value: unknown): { json: string; readsBack: boolean } {
  const readBack = { exact: true };
  const json = canonicalJson(value, readBack);
  return { json, readsBack: readBack.exact };
}

/**
 * ledgerCanonicalJsonReadBack of a value whose arrays and objects nest no deeper than
 * `maxDepth` (the value itself is depth 1), found on the way; null for any other value (nested
 * deeper, or not plain JSON), which has its depth checked and then ledgerCanonicalJsonReadBack:
 * the fast path never recurses deeper than `maxDepth`, which spares the caller a walk of its own
 * to check the depth first.
 */
export function shallowLedgerCanonicalJsonReadBack(value: unknown, maxDepth: number): { json: string; readsBack: boolean } | null {
  const readBack = { exact: true };
  let sorted: unknown;
  try {
    sorted = sortedCopy(value, readBack, 1, maxDepth);
  } catch (error) {
    if (error === NOT_PLAIN_JSON || error === TOO_DEEP) return null;
    throw error;
  }
  return { json: JSON.stringify(sorted) ?? 'null', readsBack: readBack.exact };
}

/** Set to false by sortedCopy when the JSON would not read back as the value it was given. */
interface ReadBackCheck {
  exact: boolean;
}

function canonicalJson(value: unknown, readBack: ReadBackCheck | null): string {
  let sorted: unknown;
  try {
    sorted = sortedCopy(value, readBack, 1, Infinity);
  } catch (error) {
    if (error !== NOT_PLAIN_JSON) throw error;
    if (readBack !== null) readBack.exact = false;
    return encode(value) ?? 'null';
  }
  return JSON.stringify(sorted) ?? 'null';
}

/** A primitive whose JSON text parseJsonExact reads back as the same value. */
function readsBackAsItself(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      // An integer beyond 2^53 is written as all its digits below 1e21 (as an exponent from
      // there), and such a literal reads back as a bigint.
      return Number.isFinite(value) && !Object.is(value, -0) && (Number.isSafeInteger(value) || !Number.isInteger(value) || Math.abs(value) >= 1e21);
    default:
      return value === null;
  }
}

/**
 * The fast path of ledgerCanonicalJson: for values JSON.stringify writes as the canonical form
 * once every object's keys are in sorted order, a copy with them so, which JSON.stringify
 * (native, and giving one flat string rather than a tree of concatenations) then writes. Its
 * rules for strings, numbers, booleans, null, undefined and functions are the canonical ones.
 * Everything where they differ is refused with NOT_PLAIN_JSON, and encode() below writes it:
 * bigints, `toJSON`, typed arrays and DataViews, and keys that JSON.stringify would not write
 * in the order given (array-index-like keys come first) or that cannot be copied by assignment
 * (`__proto__`).
 */
const NOT_PLAIN_JSON = new Error('not plain JSON');
/** Thrown by sortedCopy for a container deeper than its `maxDepth`. */
const TOO_DEEP = new Error('nested deeper than asked');
const INDEX_LIKE_KEY = /^(?:0|[1-9][0-9]*)$/;

/** `value` is at `depth` (the top is 1); a container deeper than `maxDepth` throws TOO_DEEP. */
function sortedCopy(value: unknown, readBack: ReadBackCheck | null, depth: number, maxDepth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'bigint') throw NOT_PLAIN_JSON;
    if (readBack !== null && !readsBackAsItself(value)) readBack.exact = false;
    return value;
  }
  if (depth > maxDepth) throw TOO_DEEP;
  const object = value as Record<string, unknown>;
  if (typeof object.toJSON === 'function') throw NOT_PLAIN_JSON;
  if (Array.isArray(value)) {
    if (readBack !== null && Object.getPrototypeOf(value) !== Array.prototype) readBack.exact = false;
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) items[i] = sortedCopy(value[i], readBack, depth + 1, maxDepth);
    return items;
  }
  if (ArrayBuffer.isView(value)) throw NOT_PLAIN_JSON;
  if (readBack !== null && Object.getPrototypeOf(value) !== Object.prototype) readBack.exact = false;
  const keys = sortedKeys(Object.keys(object));
  const copy: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57 && INDEX_LIKE_KEY.test(key)) || key === '__proto__') throw NOT_PLAIN_JSON;
    copy[key] = sortedCopy(object[key], readBack, depth + 1, maxDepth);
  }
  return copy;
}

/**
 * `keys` sorted, for sortedCopy, which only reads the list. Objects of one shape repeat from
 * event to event (every event of a source has the same keys, in the same order), and comparing
 * a key list with the one seen before costs a fraction of sorting it again: keys are compared
 * by identity (V8 keeps property names as unique strings), and sorting compares their characters.
 * One remembered list per first key, the latest; lists shorter than three are sorted.
 */
function sortedKeys(keys: string[]): readonly string[] {
  if (keys.length < 3) return sortInPlace(keys);
  const first = keys[0]!;
  const seen = sortedKeyLists.get(first);
  if (seen !== undefined && sameKeys(seen.keys, keys)) return seen.sorted;
  const sorted = sortInPlace(keys.slice());
  if (seen !== undefined || sortedKeyLists.size < MAX_SORTED_KEY_LISTS) sortedKeyLists.set(first, { keys, sorted });
  return sorted;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const sortedKeyLists = new Map<string, { keys: readonly string[]; sorted: readonly string[] }>();
const MAX_SORTED_KEY_LISTS = 1024;

/** The canonical entry, built around an already canonical event to avoid encoding it twice. */
export function canonicalLedgerEntry(tenantId: string, seq: number, receivedAt: string, canonicalEvent: string): string {
  return `{"event":${canonicalEvent},"received_at":${JSON.stringify(receivedAt)},"seq":${encode(seq)},"tenant_id":${JSON.stringify(tenantId)}}`;
}

/** crypto.hash hashes in one call, without a Hash object per row; Node before 20.12 lacks it. */
const oneShotHash: typeof crypto.hash | undefined = crypto.hash;

export function chainHash(prevHash: string, canonicalEntry: string): string {
  const input = `${prevHash}\n${canonicalEntry}`;
  if (oneShotHash === undefined) return crypto.createHash('sha256').update(input).digest('hex');
  return oneShotHash('sha256', input, 'hex');
}

export function ledgerRowHash(prevHash: string, fields: HashedLedgerFields): string {
  return chainHash(prevHash, canonicalLedgerEntry(fields.tenant_id, fields.seq, fields.received_at, ledgerCanonicalJson(fields.event)));
}

/** Characters JSON.stringify escapes (surrogates: it escapes lone ones). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;
/** Object keys repeat from event to event; quoting each once saves a third of the encoding time. */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 4096;

/** undefined means "no JSON value": the caller drops the key or writes null. */
function encode(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      // An integer beyond 2^53 as the exact number it is; parseJsonExact reads it back as this
      // bigint, so the stored text re-encodes to itself.
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === 'function') return encode((object.toJSON as () => unknown)());
  if (Array.isArray(value)) return encodeArray(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return encodeArray(Array.from(value as unknown as ArrayLike<number | bigint>));
  }
  const keys = sortInPlace(Object.keys(object));
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const encoded = encode(object[key]);
    if (encoded === undefined) continue;
    out += (first ? '' : ',') + quoteKey(key) + ':' + encoded;
    first = false;
  }
  return `${out}}`;
}

function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = quote(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * Insertion sort by UTF-16 code units, the order of Array.prototype.sort() on strings: objects
 * have a few keys, for which this is about twice as fast.
 */
function sortInPlace(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function encodeArray(items: readonly unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    out += (i === 0 ? '' : ',') + (encode(items[i]) ?? 'null');
  }
  return `${out}]`;
}
