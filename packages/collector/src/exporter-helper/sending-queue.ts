import type { ExportRequest } from './export-request.js';

export interface QueueEntry {
  readonly id: number;
  /** Its body is empty when `bodyOnDisk`: read it with `SendingQueue.bodyOf`. */
  readonly request: ExportRequest;
  /** In the queue's sizer units. */
  readonly size: number;
  /** The body was let go of in memory and is read back from the journal when sent. */
  readonly bodyOnDisk: boolean;
  /** Length of the body, in memory or on disk: what a merged request may hold is bounded by it. */
  readonly bodyBytes: number;
}

export interface RecoveredRequest {
  id: number;
  request: ExportRequest;
  bodyOnDisk: boolean;
  /** Length of the body, also when it stays on disk. */
  bodyBytes: number;
}

/** How much one merged request may hold (see `takeFollowers`). */
export interface MergeBound {
  maxItems: number;
  maxBytes: number;
}

/** Queued requests a journal could not read back at start (damaged storage). */
export interface JournalLoss {
  /** Exact when the journal could tell, else a lower bound. */
  requests: number;
  /** Damaged bytes that held them. */
  bytes: number;
}

export interface JournalRecovery {
  requests: RecoveredRequest[];
  nextId: number;
  lost: JournalLoss;
}

/**
 * Durable storage behind a queue. `append` resolves once the request would survive a crash;
 * `remove` forgets a delivered (or abandoned) one and may be lazy: forgetting late only means
 * a redelivery after a crash. `read` gives back the body of a request still stored.
 */
export interface QueueJournal {
  /** Requests kept from an earlier run, oldest first; only the first `bodiesInMemory` with their body. */
  recover(bodiesInMemory: number): Promise<JournalRecovery>;
  append(id: number, request: ExportRequest): Promise<void>;
  read(id: number): Promise<Uint8Array>;
  remove(id: number): void;
  close(): Promise<void>;
}

/**
 * With a journal, the bodies of only this many waiting requests stay in memory; the others are
 * read back from disk when their turn comes. A long outage then costs disk, not memory, while a
 * healthy destination (a short queue) never waits for a read.
 */
export const BODIES_IN_MEMORY = 64;
const NO_BODY = new Uint8Array(0);

export class QueueFullError extends Error {
  /** True when the request could never fit, however empty the queue. */
  readonly permanent: boolean;

  constructor(message: string, permanent = false) {
    super(message);
    this.name = 'QueueFullError';
    this.permanent = permanent;
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super('the exporter is shutting down');
    this.name = 'QueueClosedError';
  }
}

export interface OfferPolicy {
  /** Wait for room instead of refusing. */
  block: boolean;
  /** Drop context-only requests, and evict queued ones for decision data, instead of refusing. */
  dropContext: boolean;
}

export type OfferResult = { queued: true; entry: QueueEntry; evicted: QueueEntry[] } | { queued: false; dropped: true };

/**
 * A bounded FIFO of export requests between `consumeTraces` and the exporter's consumers.
 * Capacity counts requests or items (`sizer`) waiting or being written to the journal; a request
 * taken by a consumer no longer counts, as in the Collector.
 */
export class SendingQueue {
  private readonly waiting: QueueEntry[] = [];
  private used = 0;
  private nextId = 1;
  private closed = false;
  private readonly takers: Array<(entry: QueueEntry | undefined) => void> = [];
  private readonly roomWaiters: Array<() => void> = [];
  private wakeScheduled = false;

  /**
   * `gatherTurn`: a request that finds a consumer idle is handed to it only after the current
   * turn of the event loop (setImmediate), not at once, so that requests arriving in the same
   * turn (client requests read in one go) wait together and the consumer can take them as one
   * (`takeFollowers`). No timer: the wait is that turn. For exporters that merge requests.
   */
  constructor(
    readonly capacity: number,
    private readonly sizer: 'requests' | 'items',
    private readonly journal?: QueueJournal,
    private readonly gatherTurn = false,
  ) {}

  /** Loads what a journal kept from an earlier run: how many requests it recovered, and what it lost. */
  async open(): Promise<{ recovered: number; lost: JournalLoss }> {
    if (!this.journal) return { recovered: 0, lost: { requests: 0, bytes: 0 } };
    const { requests, nextId, lost } = await this.journal.recover(BODIES_IN_MEMORY);
    this.nextId = nextId;
    for (const { id, request, bodyOnDisk, bodyBytes } of requests) {
      const size = this.sizeOf(request);
      this.used += size;
      this.waiting.push({ id, request, size, bodyOnDisk, bodyBytes });
    }
    return { recovered: requests.length, lost };
  }

  /** Requests or items waiting, in sizer units. */
  get size(): number {
    return this.used;
  }

  get waitingRequests(): number {
    return this.waiting.length;
  }

  get isFull(): boolean {
    return this.used >= this.capacity;
  }

  sizeOf(request: ExportRequest): number {
    return this.sizer === 'items' ? Math.max(1, request.items) : 1;
  }

  async offer(request: ExportRequest, policy: OfferPolicy): Promise<OfferResult> {
    if (this.closed) throw new QueueClosedError();
    const size = this.sizeOf(request);
    if (size > this.capacity) {
      throw new QueueFullError(`a request of ${size} items is larger than the whole queue (${this.capacity})`, true);
    }
    const evicted: QueueEntry[] = [];
    while (this.used + size > this.capacity) {
      if (policy.dropContext) {
        if (!request.carriesDecisions) return { queued: false, dropped: true };
        const victim = this.evictOldestContext();
        if (victim) {
          evicted.push(victim);
          continue;
        }
      }
      if (!policy.block) throw new QueueFullError(`sending queue is full (${this.used} of ${this.capacity})`);
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.closed) throw new QueueClosedError();
    }
    this.used += size;
    const id = this.nextId++;
    if (!this.journal) {
      const entry: QueueEntry = { id, request, size, bodyOnDisk: false, bodyBytes: request.body.byteLength };
      this.push(entry);
      return { queued: true, entry, evicted };
    }
    try {
      await this.journal.append(id, request);
    } catch (error) {
      this.used -= size;
      this.wakeRoomWaiter();
      throw error;
    }
    const bodyOnDisk = this.waiting.length >= BODIES_IN_MEMORY;
    const entry: QueueEntry = {
      id,
      request: bodyOnDisk ? { ...request, body: NO_BODY } : request,
      size,
      bodyOnDisk,
      bodyBytes: request.body.byteLength,
    };
    // Durable already: even when the queue closed meanwhile, the journal keeps it for next time.
    this.push(entry);
    return { queued: true, entry, evicted };
  }

  /** The body to send: in memory, or read back from the journal. */
  bodyOf(entry: QueueEntry): Promise<Uint8Array> {
    return entry.bodyOnDisk ? this.journal!.read(entry.id) : Promise.resolve(entry.request.body);
  }

  /** The oldest waiting request; waits for one; undefined once the queue is closed and empty of takers. */
  take(): Promise<QueueEntry | undefined> {
    const entry = this.waiting.shift();
    if (entry) {
      this.used -= entry.size;
      this.wakeRoomWaiter();
      return Promise.resolve(entry);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.takers.push(resolve));
  }

  /**
   * The requests waiting right now behind `first` (just taken) that fit with it in one request
   * within `bound`, oldest first, taken out of the queue. Nothing waits for more to arrive: when
   * none is waiting, `first` goes alone. The first request that does not fit ends the run, so
   * requests still leave in the order they came.
   */
  takeFollowers(first: QueueEntry, bound: MergeBound): QueueEntry[] {
    let items = first.request.items;
    let bytes = first.bodyBytes;
    const followers: QueueEntry[] = [];
    for (let next = this.waiting[0]; next !== undefined; next = this.waiting[0]) {
      if (items + next.request.items > bound.maxItems || bytes + next.bodyBytes > bound.maxBytes) break;
      this.waiting.shift();
      this.used -= next.size;
      items += next.request.items;
      bytes += next.bodyBytes;
      followers.push(next);
    }
    // Each blocked offer re-checks the room it needs, so waking one per request taken is safe.
    for (let i = 0; i < followers.length; i++) this.wakeRoomWaiter();
    return followers;
  }

  /** The request was delivered, or given up on: forget it for good. */
  done(entry: QueueEntry): void {
    this.journal?.remove(entry.id);
  }

  /** Stops handing out requests; waiting takers get undefined and blocked offers fail. */
  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker(undefined);
    for (const waiter of this.roomWaiters.splice(0)) waiter();
  }

  /** What is still waiting (after close: what a memory queue loses, a persistent one keeps). */
  drainWaiting(): QueueEntry[] {
    const rest = this.waiting.splice(0);
    for (const entry of rest) this.used -= entry.size;
    return rest;
  }

  async closeJournal(): Promise<void> {
    await this.journal?.close();
  }

  private push(entry: QueueEntry): void {
    if (this.gatherTurn) {
      this.waiting.push(entry);
      this.scheduleWake();
      return;
    }
    const taker = this.takers.shift();
    if (taker) {
      this.used -= entry.size;
      this.wakeRoomWaiter();
      taker(entry);
      return;
    }
    this.waiting.push(entry);
  }

  private scheduleWake(): void {
    if (this.wakeScheduled || this.takers.length === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      // One consumer per turn: it takes the oldest request and (in its continuation, before the
      // next immediate) those waiting behind it. What it leaves goes to the next idle consumer.
      const taker = this.waiting.length > 0 ? this.takers.shift() : undefined;
      if (!taker) return;
      const entry = this.waiting.shift()!;
      this.used -= entry.size;
      this.wakeRoomWaiter();
      taker(entry);
      if (this.waiting.length > 0) this.scheduleWake();
    });
  }

  private evictOldestContext(): QueueEntry | undefined {
    const index = this.waiting.findIndex((entry) => !entry.request.carriesDecisions);
    if (index === -1) return undefined;
    const [victim] = this.waiting.splice(index, 1);
    this.used -= victim.size;
    this.journal?.remove(victim.id);
    return victim;
  }

  private wakeRoomWaiter(): void {
    this.roomWaiters.shift()?.();
  }
}
