import {
  ATTR_DECISION_EVIDENCE_PREFIX,
  ATTR_DECISION_OUTCOME,
  ATTR_DECISION_POLICY_PREFIX,
  ATTR_DT_EVIDENCE_PREFIX,
  ATTR_DT_OUTCOME,
  ATTR_DT_PAYLOAD_JSON,
  ATTR_DT_PAYLOAD_PREFIX,
  ATTR_DT_POLICY_PREFIX,
  DECISION_ATTRIBUTE_PREFIX,
  DT_ATTRIBUTE_PREFIX,
} from '../semconv.js';

/**
 * The Decision Trace SDK's `dt.*` projection carries the same decision fields as the
 * `decision.*` attributes under other names (`dt.actor.id` is `decision.actor.id`,
 * `dt.evidence.email` is `decision.evidence.email`, `dt.payload.factors` is
 * `decision.factors`). A rule written for one spelling must hold for the other, or a decision
 * sent by the SDK would escape it: rules, value rules and the allow list are matched against
 * a field's path and against this name too.
 */
const DT_ALIASES: ReadonlyArray<readonly [prefix: string, decisionPrefix: string]> = [
  ['dt.actor.', 'decision.actor.'],
  [ATTR_DT_EVIDENCE_PREFIX, ATTR_DECISION_EVIDENCE_PREFIX],
  [ATTR_DT_POLICY_PREFIX, ATTR_DECISION_POLICY_PREFIX],
  [ATTR_DT_PAYLOAD_PREFIX, DECISION_ATTRIBUTE_PREFIX],
  // A payload sent as one JSON string: its keys are payload fields.
  [`${ATTR_DT_PAYLOAD_JSON}.`, DECISION_ATTRIBUTE_PREFIX],
];

/** The `decision.*` path of a `dt.*` field path, or null when it has none. */
export function decisionPathOf(path: string): string | null {
  if (!path.startsWith(DT_ATTRIBUTE_PREFIX)) return null;
  if (path === ATTR_DT_OUTCOME) return ATTR_DECISION_OUTCOME;
  for (const [prefix, decisionPrefix] of DT_ALIASES) {
    if (path.startsWith(prefix) && path.length > prefix.length) return `${decisionPrefix}${path.slice(prefix.length)}`;
  }
  return null;
}
