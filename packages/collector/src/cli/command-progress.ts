import { progressBarLine, progressPlainLine, REPLAY_LABEL, type ProgressLabel, type ProgressState } from './progress-line.js';

export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface CommandProgressOptions {
  /** What the lines say is being done: replay's by default. */
  label?: ProgressLabel;
  /** A terminal's bar is redrawn at most this often. */
  redrawMs?: number;
  /** Without a terminal, one plain line this often (none for runs shorter than that). */
  logEveryMs?: number;
  now?: () => number;
}

/**
 * Progress of a long command (replay, verify, lint) on stderr, so stdout stays the result alone: a bar redrawn in
 * place on a terminal (cleared when done), periodic plain lines when stderr is a pipe or a log.
 */
export class CommandProgress {
  private readonly label: ProgressLabel;
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
    options: CommandProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.label = options.label ?? REPLAY_LABEL;
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
      this.stream.write(`\r${progressBarLine(state, this.label)}\x1b[K`);
      this.drawn = true;
    } else {
      this.stream.write(`${progressPlainLine(state, this.label)}\n`);
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
