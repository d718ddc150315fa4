import type { DecisionEvent } from '@decision-trace/model';
import type { ProcessorFactory } from '../component/component.js';
import type { CollectorConfig } from '../config/collector-config.js';

/**
 * The redaction for events posted to the decision API: every processor of the configured
 * pipelines that offers one (the `redaction` processors), each once, in pipeline order. An
 * event takes the path of no pipeline, so it gets all of them: a rule configured anywhere
 * holds for it.
 *
 * The `redactions` a client sends are a claim, not a record of what was done (a client could
 * forge them, or hide raw values in them): when anything redacts, they are replaced by what
 * these rules applied. When nothing redacts they are kept as sent: a backend whose collectors
 * post their redacted events (the decisions exporter's remote endpoint) keeps their notes.
 */
export function postedEventRedaction(config: CollectorConfig): (events: DecisionEvent[]) => DecisionEvent[] {
  const passes: Array<(event: DecisionEvent) => DecisionEvent> = [];
  const seen = new Set<string>();
  for (const pipeline of config.service.pipelines) {
    for (const id of pipeline.processors) {
      if (seen.has(id)) continue;
      seen.add(id);
      const resolved = config.processors.get(id)!;
      const pass = (resolved.factory as ProcessorFactory).postedEventRedaction?.(resolved.config);
      if (pass !== undefined) passes.push(pass);
    }
  }
  if (passes.length === 0) return (events) => events;
  return (events) =>
    events.map((event) => {
      let out = withoutClaimedRedactions(event);
      for (const pass of passes) out = pass(out);
      return out;
    });
}

function withoutClaimedRedactions(event: DecisionEvent): DecisionEvent {
  if (event.redactions === undefined) return event;
  const { redactions: _claimed, ...rest } = event;
  return rest;
}
