import protobuf from 'protobufjs';

/**
 * UTF-8 string fields of a request, decoded as protobufjs's `stringVerify` does (what proto3
 * string fields decode with): valid UTF-8 or an error, a BOM kept.
 *
 * Short strings come from a process-wide cache keyed by their bytes. OTLP repeats the same
 * attribute keys, span names and many values in every span, and both ways of making a fresh
 * string cost: the native slicers are calls into C++, and a fresh key string must be hashed and
 * looked up again every time it is assigned as a property. A cached string was used as a key
 * before, so V8 finds it internalized. The cache is direct-mapped with a fixed size: a lookup is
 * a hash and a compare of at most MAX_CACHED_BYTES bytes, a collision replaces the slot.
 */

/** Node Buffer's native UTF-8 slicer (what `toString('utf8', start, end)` calls after its checks). */
interface Utf8Slicer {
  utf8Slice(start: number, end: number): string;
}

const MAX_CACHED_BYTES = 64;
const SLOT_BITS = 12;
const SLOT_COUNT = 1 << SLOT_BITS;
const slotBytes = new Uint8Array(SLOT_COUNT * MAX_CACHED_BYTES);
const slotView = new DataView(slotBytes.buffer);
/** Byte length of each slot's string; 0 marks an empty slot (the empty string is never cached). */
const slotLengths = new Uint8Array(SLOT_COUNT);
const slotStrings: string[] = new Array<string>(SLOT_COUNT).fill('');

const { readStrict } = protobuf.util.utf8;

/**
 * The string in `buffer[start, end)`; throws protobufjs's error if it is not valid UTF-8.
 * `view` is a DataView over the same bytes as `buffer` (the Reader's).
 */
export function readUtf8(buffer: Buffer, view: DataView, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length > MAX_CACHED_BYTES) return decodeUtf8(buffer, start, end);

  // The slot comes from the length and the first, middle and last bytes; the compare is exact.
  let hash: number;
  if (length >= 4) {
    hash = Math.imul(view.getInt32(start, true), 0x9e3779b1);
    hash = Math.imul(hash ^ view.getInt32(start + ((length - 4) >> 1), true), 0x85ebca6b);
    hash = Math.imul(hash ^ view.getInt32(end - 4, true), 0xc2b2ae35);
  } else {
    hash = Math.imul(buffer[start] | (buffer[end - 1] << 8) | (buffer[start + (length >> 1)] << 16), 0x9e3779b1);
  }
  hash ^= length;
  const slot = (hash ^ (hash >>> 15) ^ (hash >>> 27)) & (SLOT_COUNT - 1);
  const slotStart = slot * MAX_CACHED_BYTES;
  if (slotLengths[slot] === length) {
    let i = 0;
    for (; i + 4 <= length; i += 4) {
      if (slotView.getInt32(slotStart + i, true) !== view.getInt32(start + i, true)) break;
    }
    if (i + 4 > length) {
      while (i < length && slotBytes[slotStart + i] === buffer[start + i]) i++;
      if (i === length) return slotStrings[slot];
    }
  }

  const text = decodeUtf8(buffer, start, end);
  for (let i = 0; i < length; i++) slotBytes[slotStart + i] = buffer[start + i];
  slotLengths[slot] = length;
  slotStrings[slot] = text;
  return text;
}

/**
 * The native slicer replaces invalid sequences with U+FFFD instead of failing, so a result that
 * holds U+FFFD is decoded again by protobufjs's strict reader, which either throws its error or
 * returns the same string (the U+FFFD was on the wire).
 */
function decodeUtf8(buffer: Buffer, start: number, end: number): string {
  const text = (buffer as Buffer & Utf8Slicer).utf8Slice(start, end);
  return text.indexOf('\uFFFD') === -1 ? text : readStrict(buffer, start, end);
}
