import { stringifyJsonExact, type DecisionRecord } from '@decision-trace/model';
import { ApiClient, resolveApiKey } from './api-client.js';
import { formatValue, renderTable } from './format.js';

export interface QueryOptions {
  endpoint: string;
  type?: string;
  version?: string;
  outcome?: string;
  tenant?: string;
  since?: string;
  until?: string;
  traceId?: string;
  actorId?: string;
  actorType?: string;
  service?: string;
  status?: string;
  minConfidence?: string;
  maxConfidence?: string;
  hasViolations?: string;
  /** `key=value`, repeatable: every one must match. */
  evidence?: string[];
  apiKey?: string;
  limit?: string;
  cursor?: string;
  json?: boolean;
}

interface Page {
  decisions: DecisionRecord[];
  next_cursor: string | null;
}

export async function queryCommand(options: QueryOptions): Promise<void> {
  const api = new ApiClient(options.endpoint, resolveApiKey(options.apiKey));
  const page = await api.get<Page>('v1/decisions', {
    type: options.type,
    version: options.version,
    outcome: options.outcome,
    tenant: options.tenant,
    since: options.since,
    until: options.until,
    trace_id: options.traceId,
    actor_id: options.actorId,
    actor_type: options.actorType,
    service: options.service,
    status: options.status,
    min_confidence: options.minConfidence,
    max_confidence: options.maxConfidence,
    has_violations: options.hasViolations,
    evidence: options.evidence,
    limit: options.limit,
    cursor: options.cursor,
  });
  if (options.json) {
    process.stdout.write(`${stringifyJsonExact(page)}\n`);
    return;
  }
  if (page.decisions.length === 0) {
    process.stdout.write('no decisions match\n');
    return;
  }
  const rows = page.decisions.map((d) => [
    d.start_time ?? '',
    d.id,
    d.type ?? '',
    d.version ?? '',
    d.outcome ?? `(${d.status})`,
    d.confidence === null ? '' : String(d.confidence),
    d.actor ? formatValue(`${d.actor.type ?? '?'}:${d.actor.id ?? '?'}`, 30) : '',
    d.tenant,
  ]);
  process.stdout.write(`${renderTable(['TIME', 'ID', 'TYPE', 'VERSION', 'OUTCOME', 'CONFIDENCE', 'ACTOR', 'TENANT'], rows)}\n`);
  if (page.next_cursor) process.stdout.write(`\nmore: --cursor ${page.next_cursor}\n`);
}
