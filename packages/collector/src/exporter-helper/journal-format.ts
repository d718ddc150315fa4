import { crc32 } from 'node:zlib';
import type { ExportRequest } from './export-request.js';

/**
 * The on-disk frame of one queued request, little-endian:
 *
 *   body length u32 | crc32 u32 | id u48 | flags u8 | items u32 | body
 *
 * The checksum covers everything after itself, so a frame cut short by a crash (or damaged)
 * is recognised and ignored: it was never acknowledged, since the journal acknowledges only
 * after the frame was synced. Acknowledgement files are plain sequences of u48 ids.
 */
export const FRAME_HEADER_BYTES = 19;
export const ACK_RECORD_BYTES = 6;
const FLAG_CARRIES_DECISIONS = 1;

export function encodeFrame(id: number, request: ExportRequest): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + request.body.byteLength);
  frame.writeUInt32LE(request.body.byteLength, 0);
  frame.writeUIntLE(id, 8, 6);
  frame.writeUInt8(request.carriesDecisions ? FLAG_CARRIES_DECISIONS : 0, 14);
  frame.writeUInt32LE(request.items, 15);
  frame.set(request.body, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

export interface FrameLocation {
  id: number;
  items: number;
  carriesDecisions: boolean;
  /** Where the body lies in the decoded buffer (and in the file it was read from). */
  bodyOffset: number;
  bodyLength: number;
}

export interface DecodedFrames {
  frames: FrameLocation[];
  /** Bytes of whole, intact frames from the start; anything after is a torn or damaged tail. */
  validBytes: number;
}

/** Reads frames until the end or the first incomplete or damaged one. */
export function decodeFrames(data: Buffer): DecodedFrames {
  const frames: FrameLocation[] = [];
  let offset = 0;
  while (data.length - offset >= FRAME_HEADER_BYTES) {
    const bodyLength = data.readUInt32LE(offset);
    const end = offset + FRAME_HEADER_BYTES + bodyLength;
    if (end > data.length) break;
    if (crc32(data.subarray(offset + 8, end)) !== data.readUInt32LE(offset + 4)) break;
    frames.push({
      id: data.readUIntLE(offset + 8, 6),
      items: data.readUInt32LE(offset + 15),
      carriesDecisions: (data.readUInt8(offset + 14) & FLAG_CARRIES_DECISIONS) !== 0,
      bodyOffset: offset + FRAME_HEADER_BYTES,
      bodyLength,
    });
    offset = end;
  }
  return { frames, validBytes: offset };
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
