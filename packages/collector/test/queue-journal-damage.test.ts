import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { pino, type Logger } from 'pino';
import type { ExportRequest } from '../src/exporter-helper/export-request.js';
import { FileQueueJournal } from '../src/exporter-helper/file-journal.js';
import { decodeSegment, encodeAcks, encodeFrame, FRAME_HEADER_BYTES, paddingHeader } from '../src/exporter-helper/journal-format.js';

const request = (text: string, items = 1, carriesDecisions = false): ExportRequest => ({ body: Buffer.from(text), items, carriesDecisions });

/** A segment of `count` frames with bodies `body-<id>`, ids from 1, and where each frame starts. */
function segmentOf(count: number, bodyBytes = 64): { data: Buffer; starts: number[] } {
  const frames = Array.from({ length: count }, (_, i) => encodeFrame(i + 1, request(`body-${i + 1}-`.padEnd(bodyBytes, 'x'), i + 1)));
  const starts: number[] = [];
  let at = 0;
  for (const frame of frames) {
    starts.push(at);
    at += frame.length;
  }
  return { data: Buffer.concat(frames), starts };
}

function flip(data: Buffer, at: number, length = 16): Buffer {
  const copy = Buffer.from(data);
  for (let i = at; i < at + length && i < copy.length; i++) copy[i] ^= 0xa5;
  return copy;
}

const ids = (data: Buffer) => decodeSegment(data).frames.map((f) => f.id);

/**
 * The journal format before issue #17 (format 1), written independently of the code under
 * test: `body length u32 | crc32 u32 | id u48 | flags u8 | items u32 | body`, the checksum over
 * everything after itself.
 */
function format1Frame(id: number, req: ExportRequest): Buffer {
  const frame = Buffer.alloc(19 + req.body.byteLength);
  frame.writeUInt32LE(req.body.byteLength, 0);
  frame.writeUIntLE(id, 8, 6);
  frame.writeUInt8(req.carriesDecisions ? 1 : 0, 14);
  frame.writeUInt32LE(req.items, 15);
  frame.set(req.body, 19);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

describe('journal framing: a damaged frame costs only itself', () => {
  test('intact frames decode in order; a padding frame is skipped silently', () => {
    const { data } = segmentOf(5);
    assert.deepEqual(ids(data), [1, 2, 3, 4, 5]);
    const decoded = decodeSegment(data);
    assert.equal(decoded.format, 2);
    assert.deepEqual(decoded.damaged, []);
    assert.equal(data.subarray(decoded.frames[2].bodyOffset, decoded.frames[2].bodyOffset + 6).toString(), 'body-3');
    const padded = Buffer.from(data);
    const { starts } = segmentOf(5);
    padded.set(paddingHeader(padded.subarray(starts[1], starts[2])), starts[1]);
    assert.deepEqual(ids(padded), [1, 3, 4, 5]);
    assert.deepEqual(decodeSegment(padded).damaged, []);
  });

  test('corruption at the start: the first frame is lost, the rest is read', () => {
    const { data, starts } = segmentOf(5);
    const decoded = decodeSegment(flip(data, 0));
    assert.deepEqual(
      decoded.frames.map((f) => f.id),
      [2, 3, 4, 5],
    );
    assert.equal(decoded.damaged.length, 1);
    assert.deepEqual({ ...decoded.damaged[0] }, { offset: 0, length: starts[1], atLeastFrames: 1, incomplete: false });
  });

  test('corruption in the middle of a body: that frame is lost and known by id; the reader steps over it', () => {
    const { data, starts } = segmentOf(5);
    const decoded = decodeSegment(flip(data, starts[2] + FRAME_HEADER_BYTES + 10));
    assert.deepEqual(
      decoded.frames.map((f) => f.id),
      [1, 2, 4, 5],
    );
    assert.deepEqual(
      decoded.damaged.map((r) => ({ offset: r.offset, length: r.length, frame: r.frame, incomplete: r.incomplete })),
      [{ offset: starts[2], length: starts[3] - starts[2], frame: { id: 3, items: 3 }, incomplete: false }],
    );
  });

  test('corruption across a frame boundary (the end of one body and the next header): the reader resynchronises on the next marker', () => {
    const { data, starts } = segmentOf(5);
    const decoded = decodeSegment(flip(data, starts[3] - 8));
    assert.deepEqual(
      decoded.frames.map((f) => f.id),
      [1, 2, 5],
    );
    assert.deepEqual(
      decoded.damaged.map((r) => [r.offset, r.length, r.frame?.id, r.incomplete]),
      [
        [starts[2], starts[3] - starts[2], 3, false],
        [starts[3], starts[4] - starts[3], undefined, false],
      ],
    );
  });

  test('corruption of the last frame is damage, not a torn write', () => {
    const { data, starts } = segmentOf(5);
    const decoded = decodeSegment(flip(data, data.length - 16));
    assert.deepEqual(
      decoded.frames.map((f) => f.id),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      decoded.damaged.map((r) => [r.offset, r.frame?.id, r.incomplete]),
      [[starts[4], 5, false]],
    );
    const headerHit = decodeSegment(flip(data, starts[4] + 2, 4));
    assert.deepEqual(
      headerHit.damaged.map((r) => [r.offset, r.length, r.incomplete]),
      [[starts[4], data.length - starts[4], false]],
    );
  });

  test('a truncated tail (a write cut short) is marked incomplete: part of a header, or a body that runs past the end', () => {
    const { data, starts } = segmentOf(5);
    const partHeader = decodeSegment(data.subarray(0, starts[4] + 10));
    assert.deepEqual(
      partHeader.frames.map((f) => f.id),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      partHeader.damaged.map((r) => [r.offset, r.length, r.incomplete]),
      [[starts[4], 10, true]],
    );
    const partBody = decodeSegment(data.subarray(0, data.length - 5));
    assert.deepEqual(
      partBody.damaged.map((r) => [r.offset, r.frame?.id, r.incomplete]),
      [[starts[4], 5, true]],
    );
    const zeros = decodeSegment(Buffer.concat([data, Buffer.alloc(100)]));
    assert.deepEqual(
      zeros.damaged.map((r) => [r.offset, r.length, r.incomplete]),
      [[data.length, 100, true]],
    );
  });

  test('several bad frames: every intact frame between them is read', () => {
    const { data, starts } = segmentOf(12);
    let damaged = flip(data, starts[1] + 3); // header of 2
    damaged = flip(damaged, starts[5] + FRAME_HEADER_BYTES + 20); // body of 6
    damaged = flip(damaged, starts[6] + FRAME_HEADER_BYTES + 1); // body of 7
    damaged = flip(damaged, starts[10] - 4, 30); // end of 10, header of 11
    const decoded = decodeSegment(damaged);
    assert.deepEqual(
      decoded.frames.map((f) => f.id),
      [1, 3, 4, 5, 8, 9, 12],
    );
    assert.deepEqual(
      decoded.damaged.map((r) => r.frame?.id ?? `?@${r.offset}`),
      [`?@${starts[1]}`, 6, 7, 10, `?@${starts[10]}`],
    );
  });

  test('a segment of the earlier format is read; damage in it ends the segment', () => {
    const frames = [1, 2, 3].map((id) => format1Frame(id, request(`old-${id}`, id, id === 2)));
    const data = Buffer.concat(frames);
    const decoded = decodeSegment(data);
    assert.equal(decoded.format, 1);
    assert.deepEqual(
      decoded.frames.map((f) => [f.id, f.items, f.carriesDecisions, data.subarray(f.bodyOffset, f.bodyOffset + f.bodyLength).toString()]),
      [
        [1, 1, false, 'old-1'],
        [2, 2, true, 'old-2'],
        [3, 3, false, 'old-3'],
      ],
    );
    const hit = decodeSegment(flip(data, frames[0].length + 20, 2));
    assert.equal(hit.format, 1);
    assert.deepEqual(
      hit.frames.map((f) => f.id),
      [1],
    );
    assert.deepEqual(
      hit.damaged.map((r) => [r.offset, r.length, r.incomplete]),
      [[frames[0].length, data.length - frames[0].length, false]],
    );
    const torn = decodeSegment(data.subarray(0, data.length - 2));
    assert.deepEqual(
      torn.damaged.map((r) => r.incomplete),
      [true],
    );
  });
});

/** A logger whose lines the test reads. */
function recordingLogger(): { logger: Logger; lines: Array<{ level: number; msg: string } & Record<string, unknown>> } {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function journalWith(count: number, bodyBytes = 200): Promise<{ dir: string; segment: string; starts: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'dt-journal-damage-'));
  const journal = new FileQueueJournal(dir, pino({ level: 'silent' }));
  await journal.recover();
  const starts: number[] = [];
  let at = 0;
  for (let id = 1; id <= count; id++) {
    const req = request(`body-${id}-`.padEnd(bodyBytes, 'y'), 10);
    starts.push(at);
    at += encodeFrame(id, req).length;
    await journal.append(id, req);
  }
  // No close(): the process "dies" with everything queued.
  const segment = join(
    dir,
    readdirSync(dir).find((f) => f.endsWith('.log'))!,
  );
  return { dir, segment, starts };
}

function damageFile(file: string, at: number, length = 16): void {
  writeFileSync(file, flip(readFileSync(file), at, length));
}

describe('persistent queue journal: recovery from damage', () => {
  test('16 bytes flipped mid-segment: every other request is recovered, the loss is counted and logged as an error once', async () => {
    const { dir, segment, starts } = await journalWith(20);
    damageFile(segment, starts[9] + 5); // the header of request 10
    const { logger, lines } = recordingLogger();
    const journal = new FileQueueJournal(dir, logger);
    const recovery = await journal.recover();
    assert.deepEqual(
      recovery.requests.map((r) => r.id),
      Array.from({ length: 20 }, (_, i) => i + 1).filter((id) => id !== 10),
    );
    assert.equal(recovery.requests[9].request.body.toString().slice(0, 8), 'body-11-');
    assert.deepEqual(recovery.lost, { requests: 1, bytes: starts[10] - starts[9] });
    const errors = lines.filter((l) => l.level === 50);
    assert.equal(errors.length, 1, JSON.stringify(lines));
    assert.match(errors[0].msg, new RegExp(`1 queued request\\(s\\) in ${starts[10] - starts[9]} bytes at offset ${starts[9]} of .*0000000001\\.log`));
    assert.deepEqual(errors[0].ids, { first: 10, last: 10 });
    assert.ok(!lines.some((l) => /never acknowledged/.test(l.msg)), 'acknowledged data is not called never acknowledged');
    await journal.close();

    // Reported once: the damaged bytes were marked, the next start is quiet and finds the same requests.
    const again = recordingLogger();
    const second = new FileQueueJournal(dir, again.logger);
    const next = await second.recover();
    assert.equal(next.requests.length, 19);
    assert.deepEqual(next.lost, { requests: 0, bytes: 0 });
    assert.deepEqual(
      again.lines.filter((l) => l.level >= 40),
      [],
    );
    await second.close();
  });

  test('damage over requests that were delivered already loses nothing', async () => {
    const { dir, segment, starts } = await journalWith(6);
    appendFileSync(segment.replace(/\.log$/, '.ack'), encodeAcks([3]));
    damageFile(segment, starts[2] + FRAME_HEADER_BYTES + 40);
    const { logger, lines } = recordingLogger();
    const journal = new FileQueueJournal(dir, logger);
    const recovery = await journal.recover();
    assert.deepEqual(
      recovery.requests.map((r) => r.id),
      [1, 2, 4, 5, 6],
    );
    assert.deepEqual(recovery.lost, { requests: 0, bytes: 0 });
    assert.equal(lines.filter((l) => l.level >= 50).length, 0);
    assert.match(lines.find((l) => l.level === 40)!.msg, /nothing is lost/);
    await journal.close();
  });

  test('a torn write at the end of the last segment is a warning and cut off; nothing is counted as lost', async () => {
    const { dir, segment } = await journalWith(4);
    const intact = statSync(segment).size;
    appendFileSync(segment, encodeFrame(5, request('never synced')).subarray(0, 20));
    const { logger, lines } = recordingLogger();
    const journal = new FileQueueJournal(dir, logger);
    const recovery = await journal.recover();
    assert.deepEqual(
      recovery.requests.map((r) => r.id),
      [1, 2, 3, 4],
    );
    assert.deepEqual(recovery.lost, { requests: 0, bytes: 0 });
    assert.deepEqual(
      lines.filter((l) => l.level >= 50),
      [],
    );
    assert.match(lines.find((l) => l.level === 40)!.msg, /incomplete write at the end of the journal .*never acknowledged/);
    assert.equal(statSync(segment).size, intact, 'the torn tail was cut off');
    // A later segment now follows it: the next start must not mistake anything for damage.
    await journal.append(recovery.nextId, request('after the restart'));
    const again = recordingLogger();
    const next = await new FileQueueJournal(dir, again.logger).recover();
    assert.deepEqual(
      next.requests.map((r) => r.request.body.toString().slice(0, 6)),
      ['body-1', 'body-2', 'body-3', 'body-4', 'after '],
    );
    assert.deepEqual(
      again.lines.filter((l) => l.level >= 40),
      [],
    );
  });

  test('damage at the end of the last segment (a synced frame) is an error, not a torn write', async () => {
    const { dir, segment } = await journalWith(4);
    const size = statSync(segment).size;
    damageFile(segment, size - 30);
    const { logger, lines } = recordingLogger();
    const recovery = await new FileQueueJournal(dir, logger).recover();
    assert.deepEqual(
      recovery.requests.map((r) => r.id),
      [1, 2, 3],
    );
    assert.equal(recovery.lost.requests, 1);
    assert.equal(lines.filter((l) => l.level === 50).length, 1);
    assert.ok(!lines.some((l) => /never acknowledged/.test(l.msg)));
  });

  test('an unreadable stretch over several frames: the ids around it say how many were lost', async () => {
    const { dir, segment, starts } = await journalWith(10);
    appendFileSync(segment.replace(/\.log$/, '.ack'), encodeAcks([5]));
    // From inside request 4's header to inside request 7's header: 4..7 unreadable, 5 delivered.
    const bytes = readFileSync(segment);
    bytes.fill(0x5a, starts[3] + 2, starts[6] + 10);
    writeFileSync(segment, bytes);
    const { logger, lines } = recordingLogger();
    const recovery = await new FileQueueJournal(dir, logger).recover();
    assert.deepEqual(
      recovery.requests.map((r) => r.id),
      [1, 2, 3, 8, 9, 10],
    );
    assert.deepEqual(recovery.lost, { requests: 3, bytes: starts[7] - starts[3] });
    const error = lines.find((l) => l.level === 50)!;
    assert.deepEqual(error.ids, { first: 4, last: 7 });
    assert.equal(error.lostRequests, 3);
  });

  test('a journal written in the earlier format is replayed after the upgrade, acknowledgements included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-format1-'));
    const old = [1, 2, 3, 4].map((id) => format1Frame(id, request(`old-${id}`, id, id % 2 === 0)));
    writeFileSync(join(dir, '0000000007.log'), Buffer.concat(old));
    writeFileSync(join(dir, '0000000007.ack'), encodeAcks([2]));
    const { logger, lines } = recordingLogger();
    const journal = new FileQueueJournal(dir, logger);
    const recovery = await journal.recover();
    assert.deepEqual(
      recovery.requests.map((r) => [r.id, r.request.body.toString(), r.request.items, r.request.carriesDecisions]),
      [
        [1, 'old-1', 1, false],
        [3, 'old-3', 3, false],
        [4, 'old-4', 4, true],
      ],
    );
    assert.equal(recovery.nextId, 5);
    assert.deepEqual(
      lines.filter((l) => l.level >= 40),
      [],
    );
    // New requests go to a new segment in the current format; both are read at the next start.
    await journal.append(5, request('new-5'));
    journal.remove(1);
    await journal.close();
    assert.equal(decodeSegment(readFileSync(join(dir, '0000000008.log'))).format, 2);
    const next = await new FileQueueJournal(dir, pino({ level: 'silent' })).recover();
    assert.deepEqual(
      next.requests.map((r) => r.request.body.toString()),
      ['old-3', 'old-4', 'new-5'],
    );
  });

  test('damage in a segment of the earlier format: the rest of that segment is reported lost, other segments are read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dt-journal-format1-'));
    const first = [1, 2, 3].map((id) => format1Frame(id, request(`old-${id}`.padEnd(50, '.'), 1)));
    const data = Buffer.concat(first);
    writeFileSync(join(dir, '0000000001.log'), flip(data, first[0].length + 25));
    writeFileSync(join(dir, '0000000002.log'), Buffer.concat([4, 5].map((id) => format1Frame(id, request(`old-${id}`, 1)))));
    const { logger, lines } = recordingLogger();
    const recovery = await new FileQueueJournal(dir, logger).recover();
    assert.deepEqual(
      recovery.requests.map((r) => r.id),
      [1, 4, 5],
    );
    assert.deepEqual(recovery.lost, { requests: 2, bytes: data.length - first[0].length });
    assert.match(lines.find((l) => l.level === 50)!.msg, /2 queued request\(s\).*earlier journal format/);
    assert.equal(statSync(join(dir, '0000000001.log')).size, first[0].length, 'the unreadable rest was cut off');
  });
});
