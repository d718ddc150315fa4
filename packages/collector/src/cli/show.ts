import { stringifyJsonExact, type DecisionRecord } from '@decision-trace/model';
import { ApiClient, resolveApiKey } from './api-client.js';
import { renderDecisionTree } from './decision-tree.js';

interface Detail extends DecisionRecord {
  events: unknown[];
}

export async function showCommand(id: string, options: { endpoint: string; tenant?: string; apiKey?: string; json?: boolean }): Promise<void> {
  const api = new ApiClient(options.endpoint, resolveApiKey(options.apiKey));
  const decision = await api.get<Detail>(`v1/decisions/${encodeURIComponent(id)}`, { tenant: options.tenant });
  let related: DecisionRecord[] = [decision];
  if (decision.trace_id) {
    const page = await api.get<{ decisions: DecisionRecord[] }>('v1/decisions', {
      trace_id: decision.trace_id,
      tenant: decision.tenant,
      limit: '1000',
    });
    related = page.decisions.some((d) => d.id === decision.id) ? page.decisions : [decision, ...page.decisions];
  }
  if (options.json) {
    process.stdout.write(`${stringifyJsonExact({ decision, trace_decisions: related })}\n`);
    return;
  }
  const header = decision.trace_id ? `trace ${decision.trace_id} (${related.length} decisions)` : `decision ${decision.id}`;
  process.stdout.write(`${header}\n${renderDecisionTree(related, decision.id)}\n`);
}
