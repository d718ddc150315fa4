import { checkDecisionEvent, extractDecisionEvents, isNoteWrittenHere, LineageIndex, type DecisionRegistry } from '@decision-trace/model';
import type { ReadingProcessorFactory, TraceBatch } from '../../component/component.js';
import { decisionProcessorSchema, type DecisionProcessorConfig } from './config.js';
import { loadDecisionRegistry, RegistryFileError } from '../../shared/decision-registry-file.js';

/** Unknown types named in warnings, at most: a flood of new types must not flood the log. */
const MAX_REPORTED_UNKNOWN_TYPES = 100;

/**
 * Finds decisions in the spans (span attributes, `decision` span events, `dt.*` spans) and puts
 * them on the batch beside the spans; the spans themselves flow on unchanged. With a registry,
 * each decision event carries the contract violations it shows (see the README).
 */
export const decisionProcessorFactory: ReadingProcessorFactory<DecisionProcessorConfig> = {
  kind: 'processor',
  capabilities: { mutatesData: false },
  // Of a span that cannot hold a decision, extraction reads only the ids (lineage).
  readsDecisionSpansOnly: () => true,
  type: 'decision',
  configSchema: decisionProcessorSchema,
  create({ id, config, logger }, next) {
    const lineage = new LineageIndex({
      maxTraces: config.lineage.max_traces,
      maxSpansPerTrace: config.lineage.max_spans_per_trace,
    });
    const unknownTypes = config.unknown_types ?? 'flag';
    const reportedUnknownTypes = new Set<string>();
    let registry: DecisionRegistry | null = null;
    return {
      async start() {
        if (config.registry === undefined) return;
        try {
          registry = await loadDecisionRegistry(config.registry);
        } catch (error) {
          if (error instanceof RegistryFileError) throw new Error(`processors.${id}.registry: ${error.message}`);
          throw error;
        }
      },
      async shutdown() {},
      consumeTraces(batch: TraceBatch) {
        // Only redaction notes a redaction processor of this collector wrote: one that arrives
        // with the spans is a client's claim.
        const found = extractDecisionEvents(batch.resourceSpans, { tenant: batch.tenant, lineage, trustRedactionNote: isNoteWrittenHere });
        for (const event of found) {
          if (registry !== null) {
            const violations = checkDecisionEvent(registry, event, { unknownTypes });
            if (violations.length > 0) {
              if (unknownTypes === 'reject' && violations.some((v) => v.rule === 'unknown_type')) {
                if (reportedUnknownTypes.size < MAX_REPORTED_UNKNOWN_TYPES && !reportedUnknownTypes.has(event.decision_type!)) {
                  reportedUnknownTypes.add(event.decision_type!);
                  logger.warn({ decisionType: event.decision_type }, 'decision of a type not in the registry rejected (unknown_types: reject)');
                }
                continue;
              }
              event.violations = violations;
            }
          }
          batch.decisions.push(event);
        }
        return next.consumeTraces(batch);
      },
    };
  },
};
