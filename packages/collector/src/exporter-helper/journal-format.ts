import { crc32 } from 'node:zlib';
import type { ExportRequest } from './export-request.js';

/**
 * The on-disk frame of one queued request, little-endian:
 *
 *   sync marker u32 | body length u32 | id u48 | flags u8 | items u32 | body crc32 u32 | header crc32 u32 | body
 *
 * The header checksum covers the 23 bytes before it, the body checksum the body. Damage to one
 * frame therefore costs only that frame: with an intact header the reader knows the frame's
 * length (and which request it held) and steps over it; with a damaged header it looks for the
 * next sync marker followed by an intact header and goes on from there. A write cut short by a
 * crash (never acknowledged: the journal acknowledges only after the frame was synced) stays
 * recognisable as such: it is the end of the data, and either shorter than a header or an intact
 * header whose body runs past the end.
 *
 * Segments written before this format (format 1: `body length u32 | crc32 u32 | id u48 |
 * flags u8 | items u32 | body`, the checksum over everything after itself, no marker) are still
 * read; they cannot be resynchronised, so damage in one loses the rest of that segment.
 * Acknowledgement files are plain sequences of u48 ids in both formats.
 */
export const FRAME_HEADER_BYTES = 27;
export const ACK_RECORD_BYTES = 6;
/** Its high bit is set, so a format-1 segment (which starts with a body length) never starts with it. */
const SYNC_MARKER = 0xe10a51d7;
const SYNC_MARKER_BYTES = Buffer.from([0xd7, 0x51, 0x0a, 0xe1]);
const HEADER_CHECKED_BYTES = 23;
const FLAG_CARRIES_DECISIONS = 1;
/** Stands in for damaged bytes once their loss was reported, so it is reported only once. */
const FLAG_PADDING = 2;

const V1_HEADER_BYTES = 19;

/** A whole frame in one buffer: the header followed by a copy of the body. */
export function encodeFrame(id: number, request: ExportRequest): Buffer {
  return Buffer.concat([frameHeader(id, request), request.body]);
}

/**
 * The header of a request's frame: written with the body after it (`writev`), the two are the
 * frame `encodeFrame` gives, without copying the body.
 */
export function frameHeader(id: number, request: ExportRequest): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  writeHeader(header, id, request.carriesDecisions ? FLAG_CARRIES_DECISIONS : 0, request.items, request.body);
  return header;
}

/**
 * The header that turns `region` (at least FRAME_HEADER_BYTES long) into a padding frame the
 * reader skips without a word: the region's bytes after the header stay as they are.
 */
export function paddingHeader(region: Buffer): Buffer {
  if (region.length < FRAME_HEADER_BYTES) throw new RangeError(`a padding frame needs ${FRAME_HEADER_BYTES} bytes, not ${region.length}`);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  writeHeader(header, 0, FLAG_PADDING, 0, region.subarray(FRAME_HEADER_BYTES));
  return header;
}

function writeHeader(target: Buffer, id: number, flags: number, items: number, body: Uint8Array): void {
  target.writeUInt32LE(SYNC_MARKER, 0);
  target.writeUInt32LE(body.byteLength, 4);
  target.writeUIntLE(id, 8, 6);
  target.writeUInt8(flags, 14);
  target.writeUInt32LE(items, 15);
  target.writeUInt32LE(crc32(body), 19);
  target.writeUInt32LE(crc32(target.subarray(0, HEADER_CHECKED_BYTES)), HEADER_CHECKED_BYTES);
}

export interface FrameLocation {
  id: number;
  items: number;
  carriesDecisions: boolean;
  /** Where the body lies in the decoded buffer (and in the file it was read from). */
  bodyOffset: number;
  bodyLength: number;
}

/** Bytes that do not decode: one frame with a damaged body, or a stretch without a readable header. */
export interface DamagedRegion {
  offset: number;
  length: number;
  /** The region is one frame whose header survived: the request that was in it is known. */
  frame?: { id: number; items: number };
  /** At least this many frames began in the region (sync markers seen; a marker can be damaged too). */
  atLeastFrames: number;
  /**
   * The region is the end of the data and looks like a write cut short: shorter than a header,
   * an intact header whose body runs past the end, or zeros (an extension of the file whose data
   * never reached the disk). At the end of the last segment that is a crash during a write.
   */
  incomplete: boolean;
}

export interface DecodedSegment {
  format: 1 | 2;
  frames: FrameLocation[];
  /** In file order. */
  damaged: DamagedRegion[];
}

/** Reads every intact frame of a segment, stepping over damaged ones. */
export function decodeSegment(data: Buffer): DecodedSegment {
  return startsWithFormat1Frame(data) ? decodeFormat1(data) : decodeFormat2(data);
}

/**
 * A format-1 segment starts with an intact format-1 frame (one whose first frame is damaged is
 * read as format 2: nothing in it can be read either way, and it is reported as damaged).
 */
function startsWithFormat1Frame(data: Buffer): boolean {
  if (data.length < V1_HEADER_BYTES || data.readUInt32LE(0) === SYNC_MARKER) return false;
  const end = V1_HEADER_BYTES + data.readUInt32LE(0);
  return end <= data.length && crc32(data.subarray(8, end)) === data.readUInt32LE(4);
}

interface Header {
  bodyLength: number;
  id: number;
  flags: number;
  items: number;
  bodyCrc: number;
}

function headerAt(data: Buffer, offset: number): Header | undefined {
  if (offset + FRAME_HEADER_BYTES > data.length || data.readUInt32LE(offset) !== SYNC_MARKER) return undefined;
  if (crc32(data.subarray(offset, offset + HEADER_CHECKED_BYTES)) !== data.readUInt32LE(offset + HEADER_CHECKED_BYTES)) return undefined;
  return {
    bodyLength: data.readUInt32LE(offset + 4),
    id: data.readUIntLE(offset + 8, 6),
    flags: data.readUInt8(offset + 14),
    items: data.readUInt32LE(offset + 15),
    bodyCrc: data.readUInt32LE(offset + 19),
  };
}

/** The offset of the next intact header at or after `from`, or -1. */
function nextHeader(data: Buffer, from: number): number {
  for (let at = data.indexOf(SYNC_MARKER_BYTES, from); at !== -1; at = data.indexOf(SYNC_MARKER_BYTES, at + 1)) {
    if (headerAt(data, at)) return at;
  }
  return -1;
}

function countMarkers(data: Buffer, start: number, end: number): number {
  let count = 0;
  for (let at = data.indexOf(SYNC_MARKER_BYTES, start); at !== -1 && at < end; at = data.indexOf(SYNC_MARKER_BYTES, at + 1)) count += 1;
  return count;
}

function decodeFormat2(data: Buffer): DecodedSegment {
  const frames: FrameLocation[] = [];
  const damaged: DamagedRegion[] = [];
  let offset = 0;
  while (offset < data.length) {
    const header = headerAt(data, offset);
    if (!header) {
      // Not a readable header: skip to the next one.
      const next = nextHeader(data, offset + 1);
      const end = next === -1 ? data.length : next;
      const incomplete = next === -1 && (end - offset < FRAME_HEADER_BYTES || isZero(data, offset, end));
      damaged.push({ offset, length: end - offset, atLeastFrames: Math.max(1, countMarkers(data, offset, end)), incomplete });
      offset = end;
      continue;
    }
    const end = offset + FRAME_HEADER_BYTES + header.bodyLength;
    if (end > data.length) {
      // An intact header whose body runs past the end: a write cut short, unless an intact
      // frame follows (then the bytes after the header were lost some other way).
      const next = nextHeader(data, offset + 1);
      const regionEnd = next === -1 ? data.length : next;
      damaged.push({ offset, length: regionEnd - offset, frame: known(header), atLeastFrames: 1, incomplete: next === -1 });
      offset = regionEnd;
      continue;
    }
    if (crc32(data.subarray(offset + FRAME_HEADER_BYTES, end)) !== header.bodyCrc) {
      damaged.push({ offset, length: end - offset, frame: known(header), atLeastFrames: 1, incomplete: false });
    } else if ((header.flags & FLAG_PADDING) === 0) {
      frames.push({
        id: header.id,
        items: header.items,
        carriesDecisions: (header.flags & FLAG_CARRIES_DECISIONS) !== 0,
        bodyOffset: offset + FRAME_HEADER_BYTES,
        bodyLength: header.bodyLength,
      });
    }
    offset = end;
  }
  return { format: 2, frames, damaged };
}

function known(header: Header): { id: number; items: number } | undefined {
  return (header.flags & FLAG_PADDING) === 0 ? { id: header.id, items: header.items } : undefined;
}

/** Format 1: frames until the end or the first incomplete or damaged one, which ends the segment. */
function decodeFormat1(data: Buffer): DecodedSegment {
  const frames: FrameLocation[] = [];
  let offset = 0;
  let incomplete = false;
  while (data.length - offset >= V1_HEADER_BYTES) {
    const bodyLength = data.readUInt32LE(offset);
    const end = offset + V1_HEADER_BYTES + bodyLength;
    if (end > data.length) {
      incomplete = true;
      break;
    }
    if (crc32(data.subarray(offset + 8, end)) !== data.readUInt32LE(offset + 4)) break;
    frames.push({
      id: data.readUIntLE(offset + 8, 6),
      items: data.readUInt32LE(offset + 15),
      carriesDecisions: (data.readUInt8(offset + 14) & FLAG_CARRIES_DECISIONS) !== 0,
      bodyOffset: offset + V1_HEADER_BYTES,
      bodyLength,
    });
    offset = end;
  }
  if (offset === data.length) return { format: 1, frames, damaged: [] };
  incomplete ||= data.length - offset < V1_HEADER_BYTES || isZero(data, offset, data.length);
  return { format: 1, frames, damaged: [{ offset, length: data.length - offset, atLeastFrames: 1, incomplete }] };
}

function isZero(data: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (data[i] !== 0) return false;
  return true;
}

export function encodeAcks(ids: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(ids.length * ACK_RECORD_BYTES);
  for (let i = 0; i < ids.length; i++) out.writeUIntLE(ids[i], i * ACK_RECORD_BYTES, ACK_RECORD_BYTES);
  return out;
}

/** Ids in an acknowledgement file; a torn last record is ignored. */
export function decodeAcks(data: Buffer): Set<number> {
  const ids = new Set<number>();
  const whole = data.length - (data.length % ACK_RECORD_BYTES);
  for (let offset = 0; offset < whole; offset += ACK_RECORD_BYTES) ids.add(data.readUIntLE(offset, ACK_RECORD_BYTES));
  return ids;
}
