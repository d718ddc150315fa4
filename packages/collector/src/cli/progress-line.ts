/** One line of a long command's progress, for a terminal (with a bar) or a log (plain). Pure. */

/** What a command is doing to what: `replaying` / `replay` / `decisions`. */
export interface ProgressLabel {
  /** Before a count without a total on a terminal: `replaying: 1200 decisions`. */
  activity: string;
  /** Starts a plain log line: `replay: 450 of 1000 decisions`. */
  command: string;
  unit: string;
}

export const REPLAY_LABEL: ProgressLabel = { activity: 'replaying', command: 'replay', unit: 'decisions' };

export interface ProgressState {
  done: number;
  /** Decisions expected in all; null when the source cannot say. */
  total: number | null;
  elapsedMs: number;
}

const BAR_WIDTH = 30;

/** `[=========>          ]  45%  4500/10000 decisions  1200/s  eta 5s`, or without a total a count and rate. */
export function progressBarLine(state: ProgressState, label: ProgressLabel = REPLAY_LABEL): string {
  const rate = ratePerSecond(state);
  const speed = rate === null ? '' : `  ${Math.round(rate)}/s`;
  if (state.total === null || state.total === 0) return `${label.activity}: ${state.done} ${label.unit}${speed}`;
  const fraction = Math.min(1, state.done / state.total);
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  const eta = rate === null || rate === 0 ? '' : `  eta ${formatSeconds(Math.max(0, state.total - state.done) / rate)}`;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `[${bar}] ${pct}  ${state.done}/${state.total} ${label.unit}${speed}${eta}`;
}

/** `replay: 4500 of 10000 decisions (45%), 1200/s` — for a log, where a bar would be noise. */
export function progressPlainLine(state: ProgressState, label: ProgressLabel = REPLAY_LABEL): string {
  const rate = ratePerSecond(state);
  const speed = rate === null ? '' : `, ${Math.round(rate)}/s`;
  if (state.total === null || state.total === 0) return `${label.command}: ${state.done} ${label.unit}${speed}`;
  const pct = Math.floor(Math.min(1, state.done / state.total) * 100);
  return `${label.command}: ${state.done} of ${state.total} ${label.unit} (${pct}%)${speed}`;
}

function ratePerSecond(state: ProgressState): number | null {
  return state.elapsedMs <= 0 || state.done === 0 ? null : (state.done * 1000) / state.elapsedMs;
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
