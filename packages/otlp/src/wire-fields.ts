import protobuf from 'protobufjs';
import { signedLongToInteger } from './int64.js';
import { readUtf8 } from './utf8-strings.js';

/**
 * Field readers the direct decoder adds to protobufjs's Reader: they produce the model's values
 * (hex ids, bigint times, exact integers, verified strings) straight from the request bytes,
 * where the Reader's own methods would first build a Buffer view or a Long. Bounds checks and
 * their error messages are the Reader's, so a broken body fails with the same message as it
 * does in protobufjs's generated decoders.
 */

/** The Reader over a Node Buffer (what `protobuf.Reader.create` returns for one). */
export interface BufferWireReader extends protobuf.Reader {
  buf: NodeBuffer;
}

/** Buffer's native hex slicer (what `toString('hex', start, end)` calls after its checks). */
interface NodeBuffer extends Buffer {
  hexSlice(start: number, end: number): string;
}

const { Reader } = protobuf;

export function createBufferReader(body: Uint8Array): BufferWireReader {
  // A view, not a copy: ids and strings are sliced out of the request bytes directly.
  const buffer = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return Reader.create(buffer) as BufferWireReader;
}

/** The RangeError protobufjs's Reader throws when a value runs past the end of its message. */
function indexOutOfRange(reader: protobuf.Reader, length: number): RangeError {
  return new RangeError(`index out of range: ${reader.pos} + ${length || 1} > ${reader.len}`);
}

/**
 * Reads a sub-message's length and narrows the reader to it, in the order of protobufjs's
 * generated `decode(r, r.size(), …, depth)`: the depth check before the bounds check. Returns
 * the enclosing limit, which `leaveMessage` restores.
 */
export function enterMessage(reader: protobuf.Reader, depth: number): number {
  const length = reader.size();
  if (depth > Reader.recursionLimit) throw new Error('max depth exceeded');
  const end = reader.pos + length;
  if (end > reader.len) throw new RangeError('index out of range');
  const enclosingLimit = reader.len;
  reader.len = end;
  return enclosingLimit;
}

export function leaveMessage(reader: protobuf.Reader, enclosingLimit: number): void {
  if (reader.pos !== reader.len) throw new RangeError('index out of range');
  reader.len = enclosingLimit;
}

/** A length-delimited field's bounds; the reader is left after it. */
export function delimitedStart(reader: protobuf.Reader): number {
  const length = reader.size();
  const start = reader.pos;
  if (start + length > reader.len) throw indexOutOfRange(reader, length);
  reader.pos = start + length;
  return start;
}

/** A bytes field as lowercase hex, '' when empty (proto3's absent value). */
export function readHex(reader: BufferWireReader): string {
  const start = delimitedStart(reader);
  const length = reader.pos - start;
  if (length === 8) return spanIdHex(reader.buf, start);
  if (length === 16) return sameTraceId(reader.buf, start) ? lastTraceId : rememberTraceId(reader.buf, start);
  return length === 0 ? '' : reader.buf.hexSlice(start, reader.pos);
}

/** Char codes of the lowercase hex digits. */
const HEX = new Uint8Array(Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0)));

// Span and trace ids are 8 and 16 bytes; one String.fromCharCode call builds their flat hex
// string in about a third of the time of a native hexSlice call.
function spanIdHex(b: Uint8Array, at: number): string {
  const b0 = b[at],
    b1 = b[at + 1],
    b2 = b[at + 2],
    b3 = b[at + 3];
  const b4 = b[at + 4],
    b5 = b[at + 5],
    b6 = b[at + 6],
    b7 = b[at + 7];
  return String.fromCharCode(
    HEX[b0 >> 4],
    HEX[b0 & 15],
    HEX[b1 >> 4],
    HEX[b1 & 15],
    HEX[b2 >> 4],
    HEX[b2 & 15],
    HEX[b3 >> 4],
    HEX[b3 & 15],
    HEX[b4 >> 4],
    HEX[b4 & 15],
    HEX[b5 >> 4],
    HEX[b5 & 15],
    HEX[b6 >> 4],
    HEX[b6 & 15],
    HEX[b7 >> 4],
    HEX[b7 & 15],
  );
}

/**
 * The trace id read last, and its bytes. The spans of a trace mostly come one after another (SDKs
 * export a trace's spans together), so the next trace id is often the same: sixteen bytes
 * compared instead of a string made, and every span of the trace holds the same string, whose
 * hash V8 keeps for the maps it is looked up in downstream.
 */
let lastTraceId = '';
const lastTraceIdBytes = new Int32Array(4);

function sameTraceId(b: Buffer, at: number): boolean {
  return (
    lastTraceId !== '' &&
    b.readInt32LE(at) === lastTraceIdBytes[0] &&
    b.readInt32LE(at + 4) === lastTraceIdBytes[1] &&
    b.readInt32LE(at + 8) === lastTraceIdBytes[2] &&
    b.readInt32LE(at + 12) === lastTraceIdBytes[3]
  );
}

function rememberTraceId(b: Buffer, at: number): string {
  lastTraceIdBytes[0] = b.readInt32LE(at);
  lastTraceIdBytes[1] = b.readInt32LE(at + 4);
  lastTraceIdBytes[2] = b.readInt32LE(at + 8);
  lastTraceIdBytes[3] = b.readInt32LE(at + 12);
  lastTraceId = traceIdHex(b, at);
  return lastTraceId;
}

function traceIdHex(b: Uint8Array, at: number): string {
  const b0 = b[at],
    b1 = b[at + 1],
    b2 = b[at + 2],
    b3 = b[at + 3];
  const b4 = b[at + 4],
    b5 = b[at + 5],
    b6 = b[at + 6],
    b7 = b[at + 7];
  const b8 = b[at + 8],
    b9 = b[at + 9],
    b10 = b[at + 10],
    b11 = b[at + 11];
  const b12 = b[at + 12],
    b13 = b[at + 13],
    b14 = b[at + 14],
    b15 = b[at + 15];
  return String.fromCharCode(
    HEX[b0 >> 4],
    HEX[b0 & 15],
    HEX[b1 >> 4],
    HEX[b1 & 15],
    HEX[b2 >> 4],
    HEX[b2 & 15],
    HEX[b3 >> 4],
    HEX[b3 & 15],
    HEX[b4 >> 4],
    HEX[b4 & 15],
    HEX[b5 >> 4],
    HEX[b5 & 15],
    HEX[b6 >> 4],
    HEX[b6 & 15],
    HEX[b7 >> 4],
    HEX[b7 & 15],
    HEX[b8 >> 4],
    HEX[b8 & 15],
    HEX[b9 >> 4],
    HEX[b9 & 15],
    HEX[b10 >> 4],
    HEX[b10 & 15],
    HEX[b11 >> 4],
    HEX[b11 & 15],
    HEX[b12 >> 4],
    HEX[b12 & 15],
    HEX[b13 >> 4],
    HEX[b13 & 15],
    HEX[b14 >> 4],
    HEX[b14 & 15],
    HEX[b15 >> 4],
    HEX[b15 & 15],
  );
}

/** A bytes field as a copy, so the value does not keep the whole request body alive. */
export function readBytesCopy(reader: BufferWireReader): Uint8Array {
  const start = delimitedStart(reader);
  return new Uint8Array(reader.buf.subarray(start, reader.pos));
}

/** A string field; see utf8-strings.ts. */
export function readString(reader: BufferWireReader): string {
  const start = delimitedStart(reader);
  return readUtf8(reader.buf, dataView(reader), start, reader.pos);
}

/**
 * Checks a string field as readString does (bounds, then valid UTF-8, with its errors) without
 * making the string: ASCII bytes need no decoding; anything else goes through readUtf8.
 * Returns where the string's bytes start (they end at the reader's position).
 */
export function skipString(reader: BufferWireReader): number {
  const start = delimitedStart(reader);
  const end = reader.pos;
  const buf = reader.buf;
  const view = dataView(reader);
  // Four bytes at a time: any high bit means a byte outside ASCII.
  let i = start;
  let high = 0;
  for (; i + 4 <= end; i += 4) high |= view.getInt32(i, true);
  for (; i < end; i++) high |= buf[i];
  if ((high & 0x80808080) !== 0) readUtf8(buf, view, start, end);
  return start;
}

/** Checks a fixed64 field's bounds as readFixed64BigInt does, without making the bigint. */
export function skipFixed64(reader: protobuf.Reader): void {
  const pos = reader.pos;
  if (pos + 8 > reader.len) throw indexOutOfRange(reader, 8);
  reader.pos = pos + 8;
}

/** A fixed64 as bigint: one BigInt from a DataView instead of a LongBits, a Long and the conversion. */
export function readFixed64BigInt(reader: protobuf.Reader): bigint {
  const pos = reader.pos;
  if (pos + 8 > reader.len) throw indexOutOfRange(reader, 8);
  reader.pos = pos + 8;
  return dataView(reader).getBigUint64(pos, true);
}

/** The Reader's own lazily created DataView over its buffer. */
function dataView(reader: protobuf.Reader): DataView {
  let view = reader.view;
  if (view === null) {
    const buf = reader.buf;
    view = reader.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return view;
}

/**
 * An int64 varint as the model's integer: a number when exact, else a bigint. Values below 2^28
 * (one to four bytes, the usual counts and codes) are read in place; the rest go through the
 * Reader's Long.
 */
export function readInt64Integer(reader: protobuf.Reader): number | bigint {
  const buf = reader.buf;
  const start = reader.pos;
  const limit = Math.min(reader.len, start + 4);
  let value = 0;
  for (let pos = start, shift = 0; pos < limit; pos++, shift += 7) {
    const byte = buf[pos];
    value |= (byte & 127) << shift;
    if (byte < 128) {
      reader.pos = pos + 1;
      return value;
    }
  }
  return signedLongToInteger(reader.int64());
}
