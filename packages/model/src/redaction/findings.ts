import type { RedactionEntry } from '../decision-notes.js';

/**
 * What one pass over one attribute set changed: field paths and actions, never values.
 * Reused across spans (reset between them) so an untouched span allocates nothing.
 */
export class Findings {
  readonly entries: RedactionEntry[] = [];
  private prefix = '';

  /** Starts a new attribute set; `prefix` is put before every field reported (`resource.`). */
  reset(prefix = ''): void {
    this.entries.length = 0;
    this.prefix = prefix;
  }

  /** Changes the prefix of the fields reported from now on, keeping what was found. */
  setPrefix(prefix: string): void {
    this.prefix = prefix;
  }

  add(path: string, action: RedactionEntry['action']): void {
    const field = this.prefix === '' ? path : `${this.prefix}${path}`;
    for (const entry of this.entries) if (entry.field === field && entry.action === action) return;
    this.entries.push({ field, action });
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** The entries found since the last reset, as a new array the caller may keep. */
  take(): RedactionEntry[] {
    return this.entries.slice();
  }
}
