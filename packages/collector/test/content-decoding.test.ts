import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { deflateSync, gzipSync } from 'node:zlib';
import snappy from 'snappyjs';
import { decodeContent } from '../src/http/content-decoding.js';
import { HttpError } from '../src/http/http-error.js';
import { decodeWithFzstd, ZSTD_DECODER } from '../src/http/zstd-decoding.js';

/**
 * The request-body decodings the OpenTelemetry Collector's HTTP clients send. zstd has no
 * encoder in Node 20, so its inputs are zstd frames written by hand from RFC 8878: RLE blocks
 * (one byte repeated up to 128 KiB) make a tiny body that inflates to any size.
 */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** A zstd frame of `blocks` RLE blocks of `blockSize` copies of `byte`, window 2^(10+exponent). */
function zstdRleFrame(byte: number, blocks: number, blockSize: number, windowExponent = 13): Buffer {
  const parts = [ZSTD_MAGIC, Buffer.from([0x00, windowExponent << 3])];
  for (let i = 0; i < blocks; i++) {
    const header = (i === blocks - 1 ? 1 : 0) | (1 << 1) | (blockSize << 3);
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, byte]));
  }
  return Buffer.concat(parts);
}

/** The snappy framing format around one uncompressed chunk (checksums are not verified). */
function snappyFramed(data: Buffer): Buffer {
  const stream = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
  const compressed = Buffer.from(snappy.compress(data));
  const length = compressed.length + 4;
  const chunk = Buffer.concat([Buffer.from([0x00, length & 0xff, (length >> 8) & 0xff, length >> 16, 0, 0, 0, 0]), compressed]);
  return Buffer.concat([stream, chunk]);
}

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpError, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

const MiB = 1024 * 1024;
const body = Buffer.from('{"resourceSpans":[]}'.repeat(1000));

describe('request bodies decoded by Content-Encoding', () => {
  test('gzip, x-gzip, deflate and zlib (zlib format), identity and none', async () => {
    for (const [encoding, raw] of [
      ['gzip', gzipSync(body)],
      ['x-gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['zlib', deflateSync(body)],
      ['identity', body],
      [undefined, body],
      ['GZip ', gzipSync(body)],
    ] as const) {
      assert.deepEqual(await decodeContent(raw as Buffer, encoding, MiB), body, String(encoding));
    }
  });

  test('zstd: RLE blocks across several frames', async () => {
    const raw = Buffer.concat([zstdRleFrame(0x61, 3, 1000), zstdRleFrame(0x62, 1, 10)]);
    assert.deepEqual(await decodeContent(raw, 'zstd', MiB), Buffer.concat([Buffer.alloc(3000, 0x61), Buffer.alloc(10, 0x62)]));
  });

  test('snappy: the block format, and the framed format under "snappy" (older Collectors) and "x-snappy-framed"', async () => {
    assert.deepEqual(await decodeContent(Buffer.from(snappy.compress(body)), 'snappy', MiB), body);
    assert.deepEqual(await decodeContent(snappyFramed(body), 'snappy', MiB), body);
    assert.deepEqual(await decodeContent(snappyFramed(body), 'x-snappy-framed', MiB), body);
  });

  test('a bomb is refused with 413 at the limit, in every decoding', async () => {
    const limit = MiB;
    const big = Buffer.alloc(4 * MiB);
    const bombs: Array<[string, Buffer]> = [
      ['gzip', gzipSync(big)],
      ['zstd', zstdRleFrame(0, 40, 128 * 1024)],
      ['snappy', Buffer.from(snappy.compress(big))],
      ['x-snappy-framed', snappyFramed(big)],
    ];
    for (const [encoding, raw] of bombs) {
      assert.ok(raw.length < limit, `${encoding} bomb passes the wire limit (${raw.length} bytes)`);
      const error = await refusal(decodeContent(raw, encoding, limit));
      assert.equal(error.status, 413, `${encoding}: ${error.message}`);
    }
  });

  test('a zstd frame declaring a huge window is refused before anything is allocated', async () => {
    const error = await refusal(decodeContent(zstdRleFrame(0, 1, 10, 30), 'zstd', MiB));
    assert.equal(error.status, 413);
  });

  test('corrupt bodies are 400, unknown encodings 415 naming the supported ones', async () => {
    for (const encoding of ['gzip', 'zstd', 'snappy', 'x-snappy-framed', 'deflate']) {
      const error = await refusal(decodeContent(Buffer.from('definitely not compressed'), encoding, MiB));
      assert.equal(error.status, 400, `${encoding}: ${error.message}`);
    }
    const unknown = await refusal(decodeContent(body, 'lz4', MiB));
    assert.equal(unknown.status, 415);
    assert.match(unknown.message, /lz4.*zstd, snappy/);
  });

  // Node 22.15+ and 24 decode zstd natively; Node 20 uses fzstd. .ci/run runs this file on all three.
  const zstdCompressSync = (zlib as { zstdCompressSync?: (data: Buffer) => Buffer }).zstdCompressSync;
  test('zstd is decoded by node:zlib where the runtime has it and it decodes every frame of a body, else by fzstd', () => {
    const native = (zlib as { zstdDecompressSync?: (raw: Buffer) => Buffer }).zstdDecompressSync;
    const twoFrames = Buffer.concat([zstdRleFrame(0x61, 1, 3), zstdRleFrame(0x62, 1, 2)]);
    const wholeNatively = native !== undefined && native(twoFrames).toString() === 'aaabb';
    assert.equal(ZSTD_DECODER, wholeNatively ? 'node:zlib' : 'fzstd');
    // Node 24 decodes concatenated frames natively; Node 22.23 returns the first frame only.
    if (process.versions.node.startsWith('24.')) assert.equal(ZSTD_DECODER, 'node:zlib');
    if (process.versions.node.startsWith('20.')) assert.equal(ZSTD_DECODER, 'fzstd');
  });

  test(
    'zstd from a real encoder: node:zlib and fzstd decode it alike, and its bomb is 413 on both',
    {
      skip: zstdCompressSync === undefined ? `Node ${process.version} has no zstd encoder in node:zlib (the Node 22 and 24 passes of .ci/run run this)` : false,
    },
    async () => {
      const raw = zstdCompressSync!(body);
      assert.deepEqual(await decodeContent(raw, 'zstd', MiB), body);
      assert.deepEqual(decodeWithFzstd(raw, MiB), body);
      const bomb = zstdCompressSync!(Buffer.alloc(4 * MiB));
      assert.ok(bomb.length < MiB);
      assert.equal((await refusal(decodeContent(bomb, 'zstd', MiB))).status, 413);
      assert.throws(
        () => decodeWithFzstd(bomb, MiB),
        (e: HttpError) => e.status === 413,
      );
      // Past 64 KiB of input the native decoder runs on the thread pool instead of inline.
      const noisy = randomBytes(256 * 1024);
      const large = zstdCompressSync!(noisy);
      assert.ok(large.length > 64 * 1024, `${large.length} bytes`);
      assert.deepEqual(await decodeContent(large, 'zstd', MiB), noisy);
      assert.equal((await refusal(decodeContent(large, 'zstd', 100 * 1024))).status, 413);
    },
  );
});
