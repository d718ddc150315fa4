import { createRedactor } from '@decision-trace/model';
import type { ReadingProcessorFactory, TraceBatch } from '../../component/component.js';
import { redactionProcessorSchema, type RedactionProcessorConfig } from './config.js';

/**
 * Rewrites span, span-event, span-link and resource attributes (and status messages) so that
 * nothing after it — the decision processor, the stores, the forwarded OTLP — sees the raw
 * values; decision events already on the batch are redacted too. The spans it receives are
 * never modified (another pipeline may share them): changed spans are new objects. The same
 * rules apply to events posted to the decision API (`postedEventRedaction`).
 */
export const redactionProcessorFactory: ReadingProcessorFactory<RedactionProcessorConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  type: 'redaction',
  configSchema: redactionProcessorSchema,
  create({ config }, next) {
    const redactor = createRedactor(config);
    return {
      async start() {},
      async shutdown() {},
      consumeTraces(batch: TraceBatch) {
        batch.resourceSpans = redactor.redactResourceSpans(batch.resourceSpans);
        const decisions = batch.decisions;
        for (let i = 0; i < decisions.length; i++) decisions[i] = redactor.redactDecisionEvent(decisions[i]!);
        return next.consumeTraces(batch);
      },
    };
  },
  postedEventRedaction(config) {
    const redactor = createRedactor(config);
    return (event) => redactor.redactDecisionEvent(event);
  },
};
