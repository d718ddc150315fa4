import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { Decompress as ZstdDecompress } from 'fzstd';
import { decompressedTooLarge as tooLarge } from './http-error.js';

/**
 * zstd request bodies. Node.js has zstd in `node:zlib` from 22.15 (and 23.8): native, streaming,
 * bounded by `maxOutputLength` like gzip. Node 20 has none, and Node 22's stops after a body's
 * first frame, so there the pure JavaScript fzstd decodes. Both are behind the same frame-header check, so a bomb or a huge declared window is
 * refused the same way (413) on every runtime.
 *
 * Small bodies (most OTLP requests) are decoded synchronously: a trip through libuv's thread pool
 * costs more CPU than decoding them (measured by bench/zstd-decode-case.mjs: async native used
 * about 3x the CPU of sync native on 14 KB bodies, and more than fzstd). Large ones go to the
 * pool so the event loop keeps serving while they decode.
 */
type ZstdOptions = { maxOutputLength: number };
type NativeZstd = {
  zstdDecompress?: Parameters<typeof promisify>[0];
  zstdDecompressSync?: (raw: Buffer, options: ZstdOptions) => Buffer;
};
const native = zlib as NativeZstd;
const nativeZstdAsync =
  native.zstdDecompress === undefined ? undefined : (promisify(native.zstdDecompress) as (raw: Buffer, options: ZstdOptions) => Promise<Buffer>);
const nativeZstdSync = native.zstdDecompressSync;
const SYNC_BELOW_BYTES = 64 * 1024;

/**
 * Two zstd frames back to back ("aaa" then "bb", one RLE block each). A body may hold several
 * frames; Node 22's native decoder (22.23 measured) returns the first frame only, so the native
 * decoder is used only where it decodes this sample whole.
 */
const TWO_FRAMES = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 27, 0, 0, 0x61, 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 19, 0, 0, 0x62]);

function nativeDecodesEveryFrame(): boolean {
  if (nativeZstdSync === undefined) return false;
  try {
    return nativeZstdSync(TWO_FRAMES, { maxOutputLength: 64 }).toString('latin1') === 'aaabb';
  } catch {
    return false;
  }
}

/** Which decoder this runtime uses. */
export const ZSTD_DECODER: 'node:zlib' | 'fzstd' = nativeZstdAsync !== undefined && nativeDecodesEveryFrame() ? 'node:zlib' : 'fzstd';

export async function decodeZstd(raw: Buffer, limit: number): Promise<Buffer> {
  checkZstdFrameHeaders(raw, Math.max(limit, ZSTD_USUAL_WINDOW));
  if (ZSTD_DECODER === 'fzstd' || nativeZstdAsync === undefined || nativeZstdSync === undefined) return decodeWithFzstd(raw, limit);
  if (raw.length < SYNC_BELOW_BYTES) return nativeZstdSync(raw, { maxOutputLength: limit });
  return nativeZstdAsync(raw, { maxOutputLength: limit });
}

/** The pure JavaScript decoder, also used by the tests to compare with the native one. */
export function decodeWithFzstd(raw: Buffer, limit: number): Buffer {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const decoder = new ZstdDecompress((chunk) => {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  });
  decoder.push(raw, true);
  return Buffer.concat(chunks, size);
}

/*
 * fzstd allocates each frame's declared window before decoding, so the frame headers are checked
 * first: a window (or single-segment content size) over the limit is refused before any
 * allocation, whichever decoder runs next.
 */
/** Encoders' default windows (8 MiB in the Go Collector's zstd) are allowed even under a smaller limit. */
const ZSTD_USUAL_WINDOW = 8 * 1024 * 1024;
const ZSTD_MAGIC = 0xfd2fb528;

/** Walks the frames of a zstd stream (RFC 8878 §3.1) and refuses one needing more than `maxWindow` bytes. */
function checkZstdFrameHeaders(raw: Buffer, maxWindow: number): void {
  let at = 0;
  while (at + 4 <= raw.length) {
    const magic = raw.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // A skippable frame: 4 bytes of length follow the magic number.
      if (at + 8 > raw.length) return;
      at += 8 + raw.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC || at + 5 > raw.length) return; // fzstd reports the malformed rest
    const descriptor = raw[at + 4];
    const singleSegment = (descriptor >> 5) & 1;
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6];
    const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3];
    let cursor = at + 5;
    let window = 0;
    if (!singleSegment) {
      const windowDescriptor = raw[cursor++];
      const base = 2 ** (10 + (windowDescriptor >> 3));
      window = base + (base / 8) * (windowDescriptor & 7);
    }
    cursor += dictionaryIdBytes;
    if (singleSegment && cursor + contentSizeBytes <= raw.length) {
      window = readLittleEndian(raw, cursor, contentSizeBytes) + (contentSizeBytes === 2 ? 256 : 0);
    }
    if (window > maxWindow) throw tooLarge(maxWindow);
    cursor += contentSizeBytes;
    // Blocks: a 3-byte header each (last-block bit, type, size); an RLE block holds one byte.
    for (;;) {
      if (cursor + 3 > raw.length) return;
      const header = raw[cursor] | (raw[cursor + 1] << 8) | (raw[cursor + 2] << 16);
      const last = header & 1;
      const type = (header >> 1) & 3;
      const blockSize = header >>> 3;
      cursor += 3 + (type === 1 ? 1 : blockSize);
      if (last) break;
    }
    if ((descriptor >> 2) & 1) cursor += 4; // content checksum
    at = cursor;
  }
}

function readLittleEndian(raw: Buffer, at: number, bytes: number): number {
  let value = 0;
  for (let i = bytes - 1; i >= 0; i--) value = value * 256 + raw[at + i];
  return value;
}
