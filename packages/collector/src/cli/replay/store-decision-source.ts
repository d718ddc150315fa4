import type { DecisionRecord } from '@decision-trace/model';
import { withoutPassword, type ClosableStore, type DecisionReader, type StatsReader } from '@decision-trace/store';
import { openExistingStore } from '../existing-store.js';
import { nextPageSize, type DecisionSource, type ReplaySelection } from './decision-source.js';

/** Reads the store directly (`sqlite:<path>`, `postgres://…`), with no collector running. */
export class StoreDecisionSource implements DecisionSource {
  private constructor(
    readonly description: string,
    private readonly store: Pick<DecisionReader, 'queryDecisions'> & Pick<StatsReader, 'outcomeCounts'> & ClosableStore,
  ) {}

  static async open(url: string): Promise<StoreDecisionSource> {
    // Inline: a one-shot command has no event loop to keep free, and needs no worker thread.
    const store = await openExistingStore(url, { thread: 'inline' });
    return new StoreDecisionSource(withoutPassword(url), store);
  }

  async count(selection: ReplaySelection): Promise<number | null> {
    const counts = await this.store.outcomeCounts(filterOf(selection));
    const total = counts.reduce((sum, c) => sum + c.count, 0);
    return selection.limit === undefined ? total : Math.min(total, selection.limit);
  }

  async *pages(selection: ReplaySelection): AsyncIterable<DecisionRecord[]> {
    let fetched = 0;
    let cursor: string | undefined;
    do {
      const limit = nextPageSize(selection, fetched);
      if (limit <= 0) return;
      const page = await this.store.queryDecisions({ ...filterOf(selection), limit, cursor });
      fetched += page.decisions.length;
      if (page.decisions.length > 0) yield page.decisions;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

function filterOf(selection: ReplaySelection) {
  return { type: selection.type, version: selection.version, tenant: selection.tenant, since: selection.since, until: selection.until };
}
