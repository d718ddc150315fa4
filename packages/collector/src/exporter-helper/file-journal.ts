import { mkdir, open, readdir, readFile, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ExportRequest } from './export-request.js';
import { decodeAcks, decodeFrames, encodeAcks, encodeFrame, FRAME_HEADER_BYTES } from './journal-format.js';
import type { QueueJournal, RecoveredRequest } from './sending-queue.js';

const SEGMENT_PATTERN = /^(\d{10})\.log$/;
const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

interface Segment {
  number: number;
  dataPath: string;
  ackPath: string;
  /** Open for appends while the segment is the active one. */
  data?: FileHandle;
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
  frame: Buffer;
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
 * segment was synced), so an acknowledged request survives a process crash and a power loss.
 * Acknowledgements are written without syncing: losing one only means a redelivery.
 */
export class FileQueueJournal implements QueueJournal {
  private readonly segments: Segment[] = [];
  private readonly locations = new Map<number, Location>();
  private active?: Segment;
  private pending: PendingAppend[] = [];
  private flushing?: Promise<void>;
  private ackScheduled = false;
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

  async recover(bodiesInMemory = Infinity): Promise<{ requests: RecoveredRequest[]; nextId: number }> {
    await mkdir(this.dir, { recursive: true });
    await this.lock();
    const numbers = (await readdir(this.dir))
      .map((name) => SEGMENT_PATTERN.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const requests: RecoveredRequest[] = [];
    let maxId = 0;
    let lastNumber = 0;
    for (const number of numbers) {
      lastNumber = number;
      const segment = this.segmentFor(number);
      const data = await readFile(segment.dataPath);
      const decoded = decodeFrames(data);
      if (decoded.validBytes < data.length) {
        this.logger.warn(
          { segment: segment.dataPath, ignoredBytes: data.length - decoded.validBytes },
          'sending queue: ignoring an incomplete write at the end of a journal segment (never acknowledged)',
        );
      }
      const acked = await readFile(segment.ackPath).then(decodeAcks, () => new Set<number>());
      for (const frame of decoded.frames) {
        maxId = Math.max(maxId, frame.id);
        if (acked.has(frame.id)) continue;
        const bodyOnDisk = requests.length >= bodiesInMemory;
        const body = bodyOnDisk ? new Uint8Array(0) : Buffer.from(data.subarray(frame.bodyOffset, frame.bodyOffset + frame.bodyLength));
        requests.push({ id: frame.id, request: { body, items: frame.items, carriesDecisions: frame.carriesDecisions }, bodyOnDisk });
        segment.live += 1;
        this.locations.set(frame.id, { segment, offset: frame.bodyOffset, length: frame.bodyLength });
      }
      if (segment.live === 0) {
        await this.deleteFiles(segment);
      } else {
        this.segments.push(segment);
      }
    }
    await this.openActive(lastNumber + 1);
    return { requests, nextId: maxId + 1 };
  }

  append(id: number, request: ExportRequest): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the queue journal is closed'));
    return new Promise((resolve, reject) => {
      this.pending.push({ id, frame: encodeFrame(id, request), resolve, reject });
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
        await segment.data!.writev(batch.map((p) => p.frame));
        await segment.data!.datasync();
      } catch (error) {
        this.logger.error({ err: error, segment: segment.dataPath }, 'sending queue: writing the journal failed');
        for (const p of batch) p.reject(error);
        // The segment may end in a partial frame now: later frames go to a fresh one.
        await this.rotate().catch((rotateError) => this.logger.error({ err: rotateError }, 'sending queue: cannot open a new journal segment'));
        continue;
      }
      for (const p of batch) {
        this.locations.set(p.id, { segment, offset: segment.bytes + FRAME_HEADER_BYTES, length: p.frame.length - FRAME_HEADER_BYTES });
        segment.bytes += p.frame.length;
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
      const ids = segment.pendingAcks;
      segment.pendingAcks = [];
      segment.ackChain = segment.ackChain.then(() =>
        writeFile(segment.ackPath, encodeAcks(ids), { flag: 'a' }).catch((error) =>
          this.logger.warn({ err: error, file: segment.ackPath }, 'sending queue: cannot record delivered requests (they may be sent again after a restart)'),
        ),
      );
    }
  }

  /** All of a segment's requests are gone: delete it once its pending writes are done. */
  private retire(segment: Segment): void {
    segment.retired = true;
    segment.pendingAcks = [];
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
