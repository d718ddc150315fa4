import type { DecisionRecord } from '@decision-trace/model';
import { ApiClient } from '../api-client.js';
import { nextPageSize, type DecisionSource, type ReplaySelection } from './decision-source.js';

interface DecisionPage {
  decisions: DecisionRecord[];
  next_cursor: string | null;
}

/** Reads through a running collector's decision API (`GET /v1/decisions`, following next_cursor). */
export class ApiDecisionSource implements DecisionSource {
  private readonly api: ApiClient;

  constructor(
    readonly description: string,
    apiKey: string | undefined,
  ) {
    this.api = new ApiClient(description, apiKey);
  }

  /** The list route does not count; the progress shows a running count instead of a bar. */
  async count(): Promise<number | null> {
    return null;
  }

  async *pages(selection: ReplaySelection): AsyncIterable<DecisionRecord[]> {
    let fetched = 0;
    let cursor: string | undefined;
    do {
      const limit = nextPageSize(selection, fetched);
      if (limit <= 0) return;
      const page = await this.api.get<DecisionPage>('v1/decisions', {
        type: selection.type,
        version: selection.version,
        tenant: selection.tenant,
        since: selection.since,
        until: selection.until,
        limit: String(limit),
        cursor,
      });
      fetched += page.decisions.length;
      if (page.decisions.length > 0) yield page.decisions;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  async close(): Promise<void> {}
}
