import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import snappy from 'snappyjs';
import { HttpError, decompressedTooLarge as tooLarge } from './http-error.js';
import { decodeZstd } from './zstd-decoding.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/**
 * The Content-Encodings a request body may carry: the ones the OpenTelemetry Collector's HTTP
 * clients send (confighttp: gzip, zstd, zlib, deflate, snappy, x-snappy-framed) and that its
 * HTTP servers accept. `deflate` is the zlib format there as in HTTP, so both names inflate.
 * lz4 is not among them: no well-kept pure JavaScript decoder of its frame format.
 */
export const CONTENT_ENCODINGS = ['gzip', 'x-gzip', 'deflate', 'zlib', 'zstd', 'snappy', 'x-snappy-framed'] as const;

/**
 * Decompresses a request body by its Content-Encoding, refusing (413) more than `limit` bytes of
 * output however small the input: a compression bomb costs at most `limit` bytes of memory.
 */
export async function decodeContent(raw: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  try {
    switch (name) {
      case '':
      case 'identity':
        return raw;
      case 'gzip':
      case 'x-gzip':
        return await gunzipAsync(raw, { maxOutputLength: limit });
      case 'deflate':
      case 'zlib':
        return await inflateAsync(raw, { maxOutputLength: limit });
      case 'zstd':
        return await decodeZstd(raw, limit);
      case 'snappy':
        // As the Collector does: "snappy" is the block format, but its older releases sent the
        // framed format under that name, so a body starting with the framing header is framed.
        return startsWithSnappyFramingHeader(raw) ? decodeSnappyFramed(raw, limit) : decodeSnappyBlock(raw, limit);
      case 'x-snappy-framed':
        return decodeSnappyFramed(raw, limit);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw tooLarge(limit);
    }
    throw new HttpError(400, `invalid ${name} body: ${(error as Error).message}`);
  }
  throw new HttpError(415, `unsupported Content-Encoding "${encoding}": expected one of identity, ${CONTENT_ENCODINGS.join(', ')}`);
}

function decodeSnappyBlock(raw: Buffer, limit: number): Buffer {
  try {
    // The block format starts with the uncompressed length, so snappyjs refuses a bomb up front.
    const out = snappy.uncompress(raw, limit) as Buffer;
    return out;
  } catch (error) {
    if (/too big/.test((error as Error).message)) throw tooLarge(limit);
    throw error;
  }
}

/** The stream identifier chunk that opens every framed snappy stream. */
const SNAPPY_FRAMING_HEADER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);

function startsWithSnappyFramingHeader(raw: Buffer): boolean {
  return raw.length >= SNAPPY_FRAMING_HEADER.length && raw.subarray(0, SNAPPY_FRAMING_HEADER.length).equals(SNAPPY_FRAMING_HEADER);
}

/**
 * The snappy framing format (google/snappy framing_format.txt): chunks of a type byte and a
 * 3-byte length; 0x00 holds a masked CRC-32C and a snappy block, 0x01 a CRC and raw bytes,
 * 0x02–0x7f are reserved unskippable, 0x80–0xff skippable (the stream identifier is 0xff).
 * The checksums are not verified (transport integrity is TCP's; gzip's CRC is the exception).
 */
function decodeSnappyFramed(raw: Buffer, limit: number): Buffer {
  if (!startsWithSnappyFramingHeader(raw)) throw new Error('missing the snappy stream identifier');
  const chunks: Buffer[] = [];
  let size = 0;
  let at = 0;
  while (at < raw.length) {
    if (at + 4 > raw.length) throw new Error('truncated snappy chunk header');
    const type = raw[at];
    const length = raw[at + 1] | (raw[at + 2] << 8) | (raw[at + 3] << 16);
    const body = raw.subarray(at + 4, at + 4 + length);
    if (body.length !== length) throw new Error('truncated snappy chunk');
    at += 4 + length;
    let data: Buffer;
    if (type === 0x00) data = decodeSnappyBlock(body.subarray(4), limit - size);
    else if (type === 0x01) data = body.subarray(4);
    else if (type >= 0x80) continue;
    else throw new Error(`reserved unskippable snappy chunk type 0x${type.toString(16)}`);
    size += data.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(data);
  }
  return Buffer.concat(chunks, size);
}
