import { progressBarLine, progressPlainLine, type ProgressState } from './progress-line.js';

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ReplayProgressOptions {
  /** A terminal's bar is redrawn at most this often. */
  redrawMs?: number;
  /** Without a terminal, one plain line this often (none for runs shorter than that). */
  logEveryMs?: number;
  now?: () => number;
}

/**
 * Progress of a long replay on stderr, so stdout stays the result alone: a bar redrawn in
 * place on a terminal (cleared when done), periodic plain lines when stderr is a pipe or a log.
 */
export class ReplayProgress {
  private readonly startedAt: number;
  private lastWriteAt: number;
  private total: number | null = null;
  private done = 0;
  private drawn = false;
  private readonly tty: boolean;
  private readonly redrawMs: number;
  private readonly logEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: ProgressStream,
    options: ReplayProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tty = stream.isTTY === true;
    this.redrawMs = options.redrawMs ?? 100;
    this.logEveryMs = options.logEveryMs ?? 10_000;
    this.startedAt = this.now();
    this.lastWriteAt = this.startedAt;
  }

  setTotal(total: number | null): void {
    this.total = total;
  }

  advance(count = 1): void {
    this.done += count;
    const at = this.now();
    if (at - this.lastWriteAt < (this.tty ? this.redrawMs : this.logEveryMs)) return;
    this.lastWriteAt = at;
    const state = this.state(at);
    if (this.tty) {
      this.stream.write(`\r${progressBarLine(state)}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${progressPlainLine(state)}\n`);
    }
  }

  /** Clears the bar so the report starts on a clean line. */
  finish(): void {
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
  }

  private state(at: number): ProgressState {
    return { done: this.done, total: this.total, elapsedMs: at - this.startedAt };
  }
}
