/**
 * A growable protobuf writer for the direct encoder (direct-encoder.ts): field writers that take
 * the model's values (hex ids, bigint times, numbers and bigints for int64, strings) and write
 * their wire bytes into one scratch buffer, the mirror of what wire-fields.ts reads.
 *
 * Length-delimited fields are written in one pass with back-patching: the writer reserves the
 * number of bytes the length will most likely take (`beginMessage`), writes the body, and
 * `endMessage` writes the length into the reservation, moving the body when the guess was off.
 * Measured on the benchmark's batches (bench/otlp-encode-case.mjs, 8,200 spans): a size pass
 * before the write, which would visit every attribute object and measure every string twice,
 * costs about a third of this whole encode on its own, while the moves touch 164 of 323,408
 * messages, 0.5 % of the bytes.
 *
 * The writer's state is module-level: the encoder runs synchronously from start to `finish`,
 * which copies the bytes out, so one scratch buffer serves every call.
 */

/** Node Buffer's native UTF-8 writer (what `write(string, offset, 'utf8')` calls after its checks). */
interface Utf8Writer {
  utf8Write(text: string, offset: number, length: number): number;
}

type ScratchBuffer = Buffer & Utf8Writer;

/** What the scratch buffer starts at and shrinks back to after an unusually large request. */
const INITIAL_CAPACITY = 64 * 1024;
const KEEP_CAPACITY = 16 * 1024 * 1024;

let buf = Buffer.allocUnsafe(INITIAL_CAPACITY) as ScratchBuffer;
let view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
let pos = 0;

/** Starts a new message at the beginning of the scratch buffer. */
export function startWriting(): void {
  pos = 0;
}

/** The bytes written since `startWriting`, copied out of the scratch buffer. */
export function finishWriting(): Uint8Array {
  const out = Buffer.allocUnsafeSlow(pos);
  buf.copy(out, 0, 0, pos);
  if (buf.length > KEEP_CAPACITY) {
    buf = Buffer.allocUnsafe(INITIAL_CAPACITY) as ScratchBuffer;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  pos = 0;
  return out;
}

/** Makes room for `bytes` more bytes at `pos`. */
function ensure(bytes: number): void {
  if (pos + bytes <= buf.length) return;
  let capacity = buf.length * 2;
  while (capacity < pos + bytes) capacity *= 2;
  const grown = Buffer.allocUnsafe(capacity) as ScratchBuffer;
  buf.copy(grown, 0, 0, pos);
  buf = grown;
  view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Bytes a varint of the unsigned 32-bit `value` takes. */
function varint32Size(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

function writeVarint32Unchecked(value: number): void {
  while (value > 127) {
    buf[pos++] = (value & 127) | 128;
    value >>>= 7;
  }
  buf[pos++] = value;
}

/** One byte: a tag below 128, or a bool. */
export function writeByte(value: number): void {
  ensure(1);
  buf[pos++] = value;
}

/** A varint field skipped when zero, as protobufjs's generated encoder does for proto3 scalars. */
export function writeUint32Field(tag: number, value: number): void {
  if (value === 0) return;
  ensure(6);
  buf[pos++] = tag;
  writeVarint32Unchecked(value >>> 0);
}

/**
 * An int32 (an enum) field, skipped when zero: negative values take ten bytes, as int64 (the
 * protobuf encoding of a negative int32, and protobufjs's).
 */
export function writeInt32Field(tag: number, value: number): void {
  if (value === 0) return;
  ensure(11);
  buf[pos++] = tag;
  if (value >= 0) writeVarint32Unchecked(value >>> 0);
  else writeVarint64Unchecked(value | 0, -1);
}

/** A 64-bit varint from two 32-bit halves (two's complement for negatives). */
function writeVarint64Unchecked(low: number, high: number): void {
  let lo = low >>> 0;
  let hi = high >>> 0;
  while (hi !== 0) {
    buf[pos++] = (lo & 127) | 128;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 127) {
    buf[pos++] = (lo & 127) | 128;
    lo >>>= 7;
  }
  buf[pos++] = lo;
}

const TWO_POW_32 = 4294967296;

/** An int64 varint of a safe integer (protobufjs's `int64` of a number). */
export function writeInt64Number(value: number): void {
  ensure(10);
  if (value >= 0 && value < TWO_POW_32) {
    writeVarint32Unchecked(value);
    return;
  }
  const negative = value < 0;
  const magnitude = negative ? -value : value;
  let lo = magnitude >>> 0;
  let hi = ((magnitude - lo) / TWO_POW_32) >>> 0;
  if (negative) {
    // Two's complement of the magnitude, on the halves.
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
    if (++lo > 0xffffffff) {
      lo = 0;
      hi = (hi + 1) >>> 0;
    }
  }
  writeVarint64Unchecked(lo, hi);
}

/** An int64 varint of a bigint (wrapped to 64 bits, two's complement). */
export function writeInt64BigInt(value: bigint): void {
  ensure(10);
  const bits = BigInt.asUintN(64, value);
  writeVarint64Unchecked(Number(bits & 0xffffffffn), Number(bits >> 32n));
}

/** A fixed64 field of a bigint, skipped when zero. */
export function writeFixed64Field(tag: number, value: bigint): void {
  if (value === 0n) return;
  ensure(9);
  buf[pos++] = tag;
  view.setBigUint64(pos, value, true);
  pos += 8;
}

/** A fixed32 field (protobufjs's `fixed32`, which takes `value >>> 0`), skipped when zero. */
export function writeFixed32Field(tag: number, value: number): void {
  if (value === 0) return;
  ensure(6);
  // Tags above 15 take two bytes; the callers pass them as one number.
  writeVarint32Unchecked(tag);
  view.setUint32(pos, value >>> 0, true);
  pos += 4;
}

/** A double, little-endian. */
export function writeDouble(value: number): void {
  ensure(8);
  view.setFloat64(pos, value, true);
  pos += 8;
}

/** Bytes that are already encoded fields (tag and length included), written as they are. */
export function writeRaw(bytes: Uint8Array): void {
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

/** `source[start, end)`, already encoded fields, written as they are. */
export function writeRawRange(source: Uint8Array, start: number, end: number): void {
  ensure(end - start);
  // Buffer's copy takes a range without making a view of it first.
  Buffer.prototype.copy.call(source, buf, pos, start, end);
  pos += end - start;
}

/** A bytes value, length-prefixed. */
export function writeBytes(value: Uint8Array): void {
  ensure(5 + value.length);
  writeVarint32Unchecked(value.length);
  buf.set(value, pos);
  pos += value.length;
}

/** Hex digit values by char code; 255 for anything that is not a hex digit. */
const HEX_VALUES = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX_VALUES[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX_VALUES[65 + i] = 10 + i;
  HEX_VALUES[97 + i] = 10 + i;
}

/**
 * A bytes field from a hex id, skipped when empty (proto3's absent value). The bytes are those
 * of `Buffer.from(hex, 'hex')`, which the previous encoder used: a string that is not all hex
 * pairs keeps the bytes up to the first bad digit.
 */
export function writeHexField(tag: number, hex: string): void {
  const length = hex.length;
  const bytes = length >>> 1;
  if (bytes === 0) return;
  ensure(6 + bytes);
  const tagAt = pos;
  buf[pos++] = tag;
  writeVarint32Unchecked(bytes);
  const b = buf;
  let p = pos;
  for (let i = 0; i < length - 1; i += 2) {
    const code1 = hex.charCodeAt(i);
    const code2 = hex.charCodeAt(i + 1);
    const high = code1 < 256 ? HEX_VALUES[code1] : 255;
    const low = code2 < 256 ? HEX_VALUES[code2] : 255;
    if ((high | low) === 255) {
      // Not hex from here on: the rare path, done by Buffer exactly as before.
      pos = tagAt;
      const decoded = Buffer.from(hex, 'hex');
      if (decoded.length === 0) return;
      buf[pos++] = tag;
      writeBytes(decoded);
      return;
    }
    b[p++] = (high << 4) | low;
  }
  pos = p;
}

/** Strings up to this many UTF-16 units take at most 3 × 42 = 126 bytes: a one-byte length. */
const ONE_BYTE_LENGTH_CHARS = 42;
/**
 * Shorter strings are written by the loop below; from here on Buffer's native writer is faster
 * than the loop despite the cost of the call (measured on the benchmark's spans).
 */
const NATIVE_WRITE_CHARS = 32;

/**
 * A string, length-prefixed, as UTF-8. A lone surrogate is written as U+FFFD (EF BF BD), as
 * Buffer writes it: valid UTF-8 that every decoder accepts. (protobufjs writes strings under 40
 * characters with its own loop, which puts a lone surrogate's three raw bytes on the wire, bytes
 * a strict decoder, ours included, refuses.)
 */
export function writeString(text: string): void {
  const length = text.length;
  if (length <= ONE_BYTE_LENGTH_CHARS) {
    ensure(1 + 3 * length);
    const lengthAt = pos++;
    if (length < NATIVE_WRITE_CHARS) writeUtf8Loop(text, length);
    else pos += buf.utf8Write(text, pos, 3 * length);
    buf[lengthAt] = pos - lengthAt - 1;
    return;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  ensure(5 + bytes);
  writeVarint32Unchecked(bytes);
  pos += buf.utf8Write(text, pos, bytes);
}

/** A string field, skipped when empty. */
export function writeStringField(tag: number, text: string): void {
  if (text.length === 0) return;
  writeByte(tag);
  writeString(text);
}

/** UTF-8 of `text` at `pos`; the caller made room for 3 bytes per UTF-16 unit. */
function writeUtf8Loop(text: string, length: number): void {
  // Locals, not the module's variables: the loop keeps them in registers.
  const b = buf;
  let p = pos;
  for (let i = 0; i < length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      b[p++] = code;
    } else if (code < 0x800) {
      b[p++] = (code >> 6) | 0xc0;
      b[p++] = (code & 63) | 0x80;
    } else if (code >= 0xd800 && code < 0xe000) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (code < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        code = 0x10000 + ((code & 0x3ff) << 10) + (next & 0x3ff);
        i++;
        b[p++] = (code >> 18) | 0xf0;
        b[p++] = ((code >> 12) & 63) | 0x80;
        b[p++] = ((code >> 6) & 63) | 0x80;
        b[p++] = (code & 63) | 0x80;
      } else {
        b[p++] = 0xef;
        b[p++] = 0xbf;
        b[p++] = 0xbd;
      }
    } else {
      b[p++] = (code >> 12) | 0xe0;
      b[p++] = ((code >> 6) & 63) | 0x80;
      b[p++] = (code & 63) | 0x80;
    }
  }
  pos = p;
}

/**
 * Starts a length-delimited field: writes `tag` and reserves `lengthBytes` for the length the
 * body will have (the most likely size of its varint). Returns where the reservation starts, for
 * `endMessage`.
 */
export function beginMessage(tag: number, lengthBytes: number): number {
  ensure(1 + lengthBytes);
  buf[pos++] = tag;
  const at = pos;
  pos += lengthBytes;
  return at;
}

/** Ends the field `beginMessage` started: the length goes into the reservation, the body moves if it needs more or fewer bytes. */
export function endMessage(at: number, lengthBytes: number): void {
  const bodyStart = at + lengthBytes;
  const length = pos - bodyStart;
  // The usual outcomes first: the guess was right.
  if (lengthBytes === 1 && length < 0x80) {
    buf[at] = length;
    return;
  }
  if (lengthBytes === 2 && length >= 0x80 && length < 0x4000) {
    buf[at] = (length & 127) | 128;
    buf[at + 1] = length >>> 7;
    return;
  }
  const needed = varint32Size(length);
  if (needed !== lengthBytes) {
    ensure(needed - lengthBytes);
    buf.copyWithin(at + needed, bodyStart, pos);
    pos += needed - lengthBytes;
  }
  const end = pos;
  pos = at;
  writeVarint32Unchecked(length);
  pos = end;
}

/**
 * Written KeyValue.key fields (tag 0x0a, length and UTF-8) by key, up to MAX_KEY_FIELDS of them
 * (then the map starts over: a sender with ever new keys costs a lookup per key, no memory).
 * Attribute keys repeat in every span, and copying their bytes is cheaper than encoding the
 * string again (about a tenth of the encode time on the benchmark's spans).
 */
const keyFields = new Map<string, Uint8Array>();
const MAX_KEY_FIELDS = 4096;

/** A KeyValue's `string key = 1` field, skipped when empty. */
export function writeKeyField(key: string): void {
  const cached = keyFields.get(key);
  if (cached !== undefined) {
    const length = cached.length;
    ensure(length);
    const b = buf;
    let p = pos;
    for (let i = 0; i < length; i++) b[p++] = cached[i];
    pos = p;
    return;
  }
  if (key.length === 0) return;
  const start = pos;
  writeByte(0x0a);
  writeString(key);
  if (key.length > ONE_BYTE_LENGTH_CHARS) return;
  if (keyFields.size >= MAX_KEY_FIELDS) keyFields.clear();
  keyFields.set(key, new Uint8Array(buf.subarray(start, pos)));
}
