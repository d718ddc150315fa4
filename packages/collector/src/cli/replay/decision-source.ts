import type { DecisionRecord } from '@decision-trace/model';

/** Which stored decisions a replay runs over; since/until are RFC 3339 instants by now. */
export interface ReplaySelection {
  type: string;
  version?: string;
  tenant?: string;
  since?: string;
  until?: string;
  /** At most this many decisions; all matching when absent. */
  limit?: number;
}

/** Where the decisions come from: the store itself or a decision API, page by page, newest first. */
export interface DecisionSource {
  /** For the report: `sqlite:./data/decisions.db`, `http://127.0.0.1:8711`. */
  readonly description: string;
  /** How many decisions match, when the source can tell cheaply; null otherwise. */
  count(selection: ReplaySelection): Promise<number | null>;
  pages(selection: ReplaySelection): AsyncIterable<DecisionRecord[]>;
  close(): Promise<void>;
}

/** The API and the stores serve at most this many decisions a page. */
export const REPLAY_PAGE_SIZE = 1000;

/** The next page's size: a full page, or what is left of the limit. */
export function nextPageSize(selection: ReplaySelection, fetched: number): number {
  return selection.limit === undefined ? REPLAY_PAGE_SIZE : Math.min(REPLAY_PAGE_SIZE, selection.limit - fetched);
}
