import type { TraceBatch } from '../component/component.js';
import type { SendingQueueConfig } from './config.js';
import { carriesDecisionData } from './decision-data.js';
import type { ExportRequest } from './export-request.js';

/**
 * The `encode` of the exporters that forward spans (otlp, otlphttp, each backend of
 * load_balancing): a batch's spans as one request, none for a batch without spans. Whether the
 * request carries decision data is looked up span by span only when the queue may drop
 * context-only requests for room (`drop_context_on_overflow`); else the batch's decisions say it.
 */
export function spanRequestEncoder(queue: SendingQueueConfig, encodeBody: (batch: TraceBatch) => Uint8Array): (batch: TraceBatch) => ExportRequest | undefined {
  const prioritise = queue.drop_context_on_overflow;
  return (batch) => {
    if (batch.spanCount === 0) return undefined;
    return {
      body: encodeBody(batch),
      items: batch.spanCount,
      carriesDecisions: prioritise ? carriesDecisionData(batch) : batch.decisions.length > 0,
    };
  };
}
