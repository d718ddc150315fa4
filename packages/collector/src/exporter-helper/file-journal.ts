import { mkdir, open, readdir, readFile, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ExportRequest } from './export-request.js';
import { judgeDamage, type DamageVerdict, type StoredSegment } from './journal-damage.js';
import { decodeAcks, decodeSegment, encodeAcks, FRAME_HEADER_BYTES, frameHeader, paddingHeader, type DecodedSegment } from './journal-format.js';
import type { JournalLoss, JournalRecovery, QueueJournal, RecoveredRequest } from './sending-queue.js';

const SEGMENT_PATTERN = /^(\d{10})\.log$/;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

interface Segment {
  number: number;
  dataPath: string;
  ackPath: string;
  /** Open for appends while the segment is the active one. */
  data?: FileHandle;
  /** The acknowledgement file, open while acknowledgements go to this segment. */
  acks?: FileHandle;
  /** Opened on the first read of a body that was let go of in memory. */
  reader?: Promise<FileHandle>;
  bytes: number;
  /** Requests written here and not yet removed. */
  live: number;
  pendingAcks: number[];
  /** Acknowledgement writes of this segment, in order. */
  ackChain: Promise<void>;
  retired: boolean;
}

/** Where a stored request's body is. */
interface Location {
  segment: Segment;
  offset: number;
  length: number;
}

interface PendingAppend {
  id: number;
  /** The frame is this header followed by the request's body, written as it is (not copied). */
  header: Buffer;
  body: Uint8Array;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A queue journal in append-only segment files with group commit: frames appended while a
 * write is in flight are written together and made durable by one fdatasync, without ever
 * blocking the event loop (the writes run on libuv's thread pool). Each segment has a sidecar
 * file of acknowledged ids; a segment whose requests are all acknowledged is deleted.
 *
 * Durability: `append` resolves after fdatasync (and after the directory entry of a new
 * segment was synced), so an acknowledged request survives a process crash and a power loss. A
 * frame is written as its header and the request's body as it is, not a copy. Acknowledgements
 * are written without syncing, to a file kept open while delivery is in that segment: losing
 * one only means a redelivery.
 */
export class FileQueueJournal implements QueueJournal {
  private readonly segments: Segment[] = [];
  private readonly locations = new Map<number, Location>();
  private active?: Segment;
  private pending: PendingAppend[] = [];
  private flushing?: Promise<void>;
  private ackScheduled = false;
  /** The segment whose acknowledgement file is open: delivery goes oldest first, so one at a time. */
  private ackTarget?: Segment;
  private readonly deletions = new Set<Promise<void>>();
  private readonly lockPath: string;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly segmentBytes = DEFAULT_SEGMENT_BYTES,
  ) {
    this.lockPath = join(dir, 'LOCK');
  }

  async recover(bodiesInMemory = Infinity): Promise<JournalRecovery> {
    await mkdir(this.dir, { recursive: true });
    await this.lock();
    const numbers = (await readdir(this.dir))
      .map((name) => SEGMENT_PATTERN.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const stored: Array<StoredSegment<Segment>> = [];
    const acked = new Set<number>();
    // Only what the frames are, not their bytes: a journal that rode out a long outage may not
    // fit in memory. Bodies are read again below for the requests that keep theirs in memory.
    for (const number of numbers) {
      const segment = this.segmentFor(number);
      const data = await readFile(segment.dataPath);
      const segmentAcks = await readFile(segment.ackPath).then(decodeAcks, () => new Set<number>());
      for (const id of segmentAcks) acked.add(id);
      stored.push({ segment, size: data.length, decoded: decodeSegment(data) });
    }

    const verdicts = judgeDamage(stored, acked);
    const lost: JournalLoss = { requests: 0, bytes: 0 };
    for (const verdict of verdicts) {
      this.report(verdict);
      if (verdict.kind === 'lost') {
        lost.requests += verdict.requests;
        lost.bytes += verdict.region.length;
      }
    }

    const requests: RecoveredRequest[] = [];
    let maxId = 0;
    for (const id of acked) maxId = Math.max(maxId, id);
    for (const { segment, size, decoded } of stored) {
      let data: Buffer | undefined;
      for (const frame of decoded.frames) {
        maxId = Math.max(maxId, frame.id);
        if (acked.has(frame.id)) continue;
        const bodyOnDisk = requests.length >= bodiesInMemory;
        data ??= bodyOnDisk ? undefined : await readFile(segment.dataPath);
        const body = bodyOnDisk ? new Uint8Array(0) : Buffer.from(data!.subarray(frame.bodyOffset, frame.bodyOffset + frame.bodyLength));
        requests.push({
          id: frame.id,
          request: { body, items: frame.items, carriesDecisions: frame.carriesDecisions },
          bodyOnDisk,
          bodyBytes: frame.bodyLength,
        });
        segment.live += 1;
        this.locations.set(frame.id, { segment, offset: frame.bodyOffset, length: frame.bodyLength });
      }
      for (const region of decoded.damaged) if (region.frame) maxId = Math.max(maxId, region.frame.id);
      if (segment.live === 0) {
        await this.deleteFiles(segment);
        continue;
      }
      this.segments.push(segment);
      const repairs = verdicts.filter((verdict) => verdict.segment === segment);
      if (repairs.length > 0) await this.repair(segment, size, decoded, repairs);
    }
    const lastNumber = numbers.length > 0 ? numbers[numbers.length - 1] : 0;
    await this.openActive(lastNumber + 1);
    return { requests, nextId: maxId + 1, lost };
  }

  private report(verdict: DamageVerdict<Segment>): void {
    const { region, segment } = verdict;
    const where = { segment: segment.dataPath, offset: region.offset, bytes: region.length };
    if (verdict.kind === 'torn') {
      this.logger.warn(
        where,
        'sending queue: dropping an incomplete write at the end of the journal (the process stopped while writing it; it was never acknowledged)',
      );
      return;
    }
    const format1 = verdict.format === 1 ? ' (a segment of the earlier journal format cannot be read past damage: the rest of it is lost)' : '';
    if (verdict.kind === 'delivered') {
      this.logger.warn(
        { ...where, ids: verdict.ids },
        `sending queue: ${region.length} damaged bytes at offset ${region.offset} of ${segment.dataPath} held no request that was still queued (delivered already); nothing is lost`,
      );
      return;
    }
    const count = verdict.exact ? `${verdict.requests}` : `at least ${verdict.requests}`;
    this.logger.error(
      { ...where, lostRequests: verdict.requests, lostRequestsExact: verdict.exact, ids: verdict.ids, items: verdict.items },
      `sending queue: journal damaged: ${count} queued request(s) in ${region.length} bytes at offset ${region.offset} of ${segment.dataPath} cannot be read and are lost${format1}; the requests around them are delivered`,
    );
  }

  /**
   * Makes the damage readable, so it is reported once and not at every start: a torn tail (and
   * the unreadable rest of a format-1 segment) is cut off, other damaged bytes become a padding
   * frame the reader skips. Failing here costs only a second report at the next start.
   */
  private async repair(segment: Segment, size: number, decoded: DecodedSegment, verdicts: Array<DamageVerdict<Segment>>): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(segment.dataPath, 'r+');
      let cutAt = size;
      for (const { kind, region } of verdicts) {
        // Format 1 cannot step over a padding frame, and a sliver at the end has no room for one.
        if (kind === 'torn' || decoded.format === 1 || region.length < FRAME_HEADER_BYTES) {
          cutAt = Math.min(cutAt, region.offset);
          continue;
        }
        const bytes = Buffer.alloc(region.length);
        await handle.read(bytes, 0, region.length, region.offset);
        await handle.write(paddingHeader(bytes), 0, FRAME_HEADER_BYTES, region.offset);
      }
      if (cutAt < size) await handle.truncate(cutAt);
      await handle.datasync();
    } catch (error) {
      this.logger.warn(
        { err: error, segment: segment.dataPath },
        'sending queue: cannot mark the damaged part of a journal segment as read (it will be reported again at the next start)',
      );
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  append(id: number, request: ExportRequest): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the queue journal is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ id, header: frameHeader(id, request), body: request.body, resolve, reject });
      // The loop clears `flushing` in the same turn it finds nothing pending, so an append that
      // comes after always either joins a running loop or starts a new one.
      this.flushing ??= this.flush();
    });
  }

  async read(id: number): Promise<Uint8Array> {
    const location = this.locations.get(id);
    if (!location) throw new Error(`sending queue: request ${id} is not in the journal`);
    const { segment, offset, length } = location;
    segment.reader ??= open(segment.dataPath, 'r');
    const body = Buffer.allocUnsafe(length);
    const { bytesRead } = await (await segment.reader).read(body, 0, length, offset);
    if (bytesRead !== length) throw new Error(`sending queue: ${segment.dataPath} ends inside request ${id}`);
    return body;
  }

  remove(id: number): void {
    const location = this.locations.get(id);
    if (!location) return;
    this.locations.delete(id);
    const { segment } = location;
    segment.live -= 1;
    if (segment.live === 0 && segment !== this.active) {
      this.retire(segment);
      return;
    }
    segment.pendingAcks.push(id);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => this.writeAcks());
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    this.writeAcks();
    await Promise.all(this.segments.map((segment) => segment.ackChain));
    await Promise.all(this.deletions);
    for (const segment of this.segments) {
      await segment.data?.close().catch(() => undefined);
      segment.data = undefined;
      await this.closeAckHandle(segment);
      await closeReader(segment);
    }
    await unlink(this.lockPath).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const segment = this.active!;
      try {
        await segment.data!.writev(batch.flatMap((p) => [p.header, p.body]));
        await segment.data!.datasync();
      } catch (error) {
        this.logger.error({ err: error, segment: segment.dataPath }, 'sending queue: writing the journal failed');
        for (const p of batch) p.reject(error);
        // Cut off what part of the batch did reach the file (a full disk writes some of it): it
        // was refused, and left there it would read as damage at the next start.
        await segment
          .data!.truncate(segment.bytes)
          .catch((truncateError) =>
            this.logger.warn({ err: truncateError, segment: segment.dataPath }, 'sending queue: cannot cut a failed write off the journal'),
          );
        // The segment may end in a partial frame now: later frames go to a fresh one.
        await this.rotate().catch((rotateError) => this.logger.error({ err: rotateError }, 'sending queue: cannot open a new journal segment'));
        continue;
      }
      for (const p of batch) {
        this.locations.set(p.id, { segment, offset: segment.bytes + FRAME_HEADER_BYTES, length: p.body.byteLength });
        segment.bytes += FRAME_HEADER_BYTES + p.body.byteLength;
        segment.live += 1;
        p.resolve();
      }
      if (segment.bytes >= this.segmentBytes) {
        await this.rotate().catch((error) => this.logger.error({ err: error }, 'sending queue: cannot open a new journal segment'));
      }
    }
    // Cleared in the same turn the loop finds nothing pending (see append).
    this.flushing = undefined;
  }

  private async rotate(): Promise<void> {
    const previous = this.active!;
    await this.openActive(previous.number + 1);
    await previous.data?.close().catch(() => undefined);
    previous.data = undefined;
    if (previous.live === 0) this.retire(previous);
  }

  private async openActive(number: number): Promise<void> {
    const segment = this.segmentFor(number);
    segment.data = await open(segment.dataPath, 'a');
    await this.syncDirectory();
    this.segments.push(segment);
    this.active = segment;
  }

  private segmentFor(number: number): Segment {
    const name = String(number).padStart(10, '0');
    return {
      number,
      dataPath: join(this.dir, `${name}.log`),
      ackPath: join(this.dir, `${name}.ack`),
      bytes: 0,
      live: 0,
      pendingAcks: [],
      ackChain: Promise.resolve(),
      retired: false,
    };
  }

  private writeAcks(): void {
    this.ackScheduled = false;
    for (const segment of this.segments) {
      if (segment.pendingAcks.length === 0 || segment.retired) continue;
      const bytes = encodeAcks(segment.pendingAcks);
      segment.pendingAcks = [];
      if (this.ackTarget !== segment) {
        if (this.ackTarget) this.closeAckFile(this.ackTarget);
        this.ackTarget = segment;
      }
      segment.ackChain = segment.ackChain.then(() => this.appendAcks(segment, bytes));
    }
  }

  /** Appends to the segment's acknowledgement file, kept open: an open and a close fewer per write. */
  private async appendAcks(segment: Segment, bytes: Buffer): Promise<void> {
    try {
      segment.acks ??= await open(segment.ackPath, 'a');
      await segment.acks.writeFile(bytes);
    } catch (error) {
      this.logger.warn({ err: error, file: segment.ackPath }, 'sending queue: cannot record delivered requests (they may be sent again after a restart)');
      // Opened again for the next acknowledgements.
      await this.closeAckHandle(segment);
    }
  }

  /** Closes the segment's acknowledgement file after its pending writes. */
  private closeAckFile(segment: Segment): void {
    segment.ackChain = segment.ackChain.then(() => this.closeAckHandle(segment));
  }

  private async closeAckHandle(segment: Segment): Promise<void> {
    const acks = segment.acks;
    segment.acks = undefined;
    await acks?.close().catch(() => undefined);
  }

  /** All of a segment's requests are gone: delete it once its pending writes are done. */
  private retire(segment: Segment): void {
    segment.retired = true;
    segment.pendingAcks = [];
    if (this.ackTarget === segment) this.ackTarget = undefined;
    const index = this.segments.indexOf(segment);
    if (index !== -1) this.segments.splice(index, 1);
    const deletion = segment.ackChain.then(() => this.deleteFiles(segment));
    segment.ackChain = deletion;
    this.deletions.add(deletion);
    void deletion.finally(() => this.deletions.delete(deletion));
  }

  private async deleteFiles(segment: Segment): Promise<void> {
    await segment.data?.close().catch(() => undefined);
    segment.data = undefined;
    await this.closeAckHandle(segment);
    await closeReader(segment);
    await unlink(segment.dataPath).catch(() => undefined);
    await unlink(segment.ackPath).catch(() => undefined);
  }

  private async syncDirectory(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** One process per queue directory: a second collector on the same storage would corrupt it. */
  private async lock(): Promise<void> {
    try {
      await writeFile(this.lockPath, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(this.lockPath, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new Error(`sending queue directory ${this.dir} is in use by process ${holder}`);
    }
    await writeFile(this.lockPath, String(process.pid));
  }
}

async function closeReader(segment: Segment): Promise<void> {
  const reader = segment.reader;
  segment.reader = undefined;
  if (reader) await reader.then((handle) => handle.close()).catch(() => undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
