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
  ['dt.evidence.', 'decision.evidence.'],
  ['dt.policy.', 'decision.policy.'],
  ['dt.payload.', 'decision.'],
  // A payload sent as one JSON string: its keys are payload fields.
  ['dt.payload_json.', 'decision.'],
];

/** The `decision.*` path of a `dt.*` field path, or null when it has none. */
export function decisionPathOf(path: string): string | null {
  if (!path.startsWith('dt.')) return null;
  if (path === 'dt.outcome') return 'decision.outcome';
  for (const [prefix, decisionPrefix] of DT_ALIASES) {
    if (path.startsWith(prefix) && path.length > prefix.length) return `${decisionPrefix}${path.slice(prefix.length)}`;
  }
  return null;
}
