/** How one call of a group ended: its own result, or the error it failed with alone. */
export type CallOutcome<Result> = { result: Result; error?: undefined } | { error: unknown };

export interface GroupCommitOptions<Call, Result> {
  /**
   * Commits the calls as one group (one transaction); one outcome per call, in order. Either
   * synchronously (the SQLite store) or as a promise (PostgreSQL; the worker store's round trip).
   * Throwing synchronously means the group was refused as a whole before anything was stored:
   * each call is then tried alone, so that one bad call fails alone.
   */
  commit(calls: Call[]): ReadonlyArray<CallOutcome<Result>> | Promise<ReadonlyArray<CallOutcome<Result>>>;
  /** Groups committing at once, at most; calls arriving meanwhile wait and go as the next group. */
  maxInFlight: number;
  /**
   * When a commit's promise rejects: true, the group failed as a whole and each call is tried
   * alone, one after the other (a failed transaction, where the calls can still be committed);
   * false, every call of the group fails with that error (a failed round trip to a worker whose
   * own store already tried each call alone). With false the group's calls are let go as soon
   * as `commit` has taken them, so that large events do not live on until the answer.
   */
  retryRejectedAlone: boolean;
}

interface PendingCall<Call, Result> {
  /** null once committing, when `retryRejectedAlone` is false: `commit` has its copy. */
  call: Call | null;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit, the one implementation every store uses: calls made in the same event-loop turn
 * (concurrent requests), and those made while a group is committing, commit together in one
 * transaction, which costs about as much as one call's alone (a commit's fixed cost and the
 * index pages its rows share are paid once per group). Each call resolves with its own result
 * once its group committed.
 */
export class GroupCommit<Call, Result> {
  readonly #options: GroupCommitOptions<Call, Result>;
  #queue: Array<PendingCall<Call, Result>> = [];
  /** Groups whose commit's promise has not settled yet. */
  #inFlight = 0;
  #drainedWaiters: Array<() => void> = [];

  constructor(options: GroupCommitOptions<Call, Result>) {
    this.#options = options;
  }

  /** Resolves with the call's result once its group committed; rejects with why it failed. */
  add(call: Call): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ call, resolve, reject });
      // Otherwise the end of the group in flight starts this one.
      if (this.#queue.length === 1 && this.#inFlight < this.#options.maxInFlight) setImmediate(() => this.flush());
    });
  }

  /**
   * Commits the waiting calls now, unless as many groups as allowed are in flight (the last of
   * them to end flushes again); `evenAtLimit` (the store is closing) does not wait for them.
   */
  flush({ evenAtLimit = false } = {}): void {
    if (this.#inFlight >= this.#options.maxInFlight && !evenAtLimit) return;
    const group = this.#queue;
    this.#queue = [];
    if (group.length > 0) this.#start(group);
    // A synchronous commit is over by now.
    this.#notifyIfDrained();
  }

  /** Groups whose commit is under way. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once no call is waiting and no group is committing. */
  drained(): Promise<void> {
    if (this.#isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  #start(group: Array<PendingCall<Call, Result>>): void {
    let committed: ReturnType<GroupCommitOptions<Call, Result>['commit']>;
    try {
      committed = this.#options.commit(group.map((pending) => pending.call!));
    } catch (error) {
      if (group.length === 1) group[0]!.reject(error);
      else for (const pending of group) this.#start([pending]);
      return;
    }
    if (!(committed instanceof Promise)) {
      settle(group, committed);
      return;
    }
    if (!this.#options.retryRejectedAlone) for (const pending of group) pending.call = null;
    this.#inFlight += 1;
    void committed
      .then(
        (outcomes) => settle(group, outcomes),
        (error: unknown) => this.#afterRejection(group, error),
      )
      .finally(() => {
        this.#inFlight -= 1;
        // At the end of this turn, so that calls made in the same turn join the group.
        if (this.#inFlight === this.#options.maxInFlight - 1 && this.#queue.length > 0) setImmediate(() => this.flush());
        this.#notifyIfDrained();
      });
  }

  /** Settles every call of a group whose commit rejected; never throws. */
  async #afterRejection(group: Array<PendingCall<Call, Result>>, error: unknown): Promise<void> {
    if (!this.#options.retryRejectedAlone || group.length === 1) {
      for (const pending of group) pending.reject(error);
      return;
    }
    for (const pending of group) {
      try {
        settle([pending], await this.#options.commit([pending.call!]));
      } catch (aloneError) {
        pending.reject(aloneError);
      }
    }
  }

  #isDrained(): boolean {
    return this.#inFlight === 0 && this.#queue.length === 0;
  }

  #notifyIfDrained(): void {
    if (this.#isDrained()) for (const resolve of this.#drainedWaiters.splice(0)) resolve();
  }
}

function settle<Result>(group: ReadonlyArray<PendingCall<unknown, Result>>, outcomes: ReadonlyArray<CallOutcome<Result>>): void {
  group.forEach((pending, i) => {
    const outcome = outcomes[i]!;
    if (outcome.error === undefined) pending.resolve((outcome as { result: Result }).result);
    else pending.reject(outcome.error);
  });
}
