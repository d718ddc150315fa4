import { schemaEventType, type Actor, type ReadonlyDecisionEvent } from '../event.js';
import { ATTR_DECISION_ACTOR_ID, ATTR_DECISION_ACTOR_ORG, ATTR_DECISION_ACTOR_TYPE, ATTR_DECISION_ACTOR_VERSION, ATTR_DECISION_EVIDENCE } from '../semconv.js';
import { Findings } from './findings.js';
import { mergeRedactions } from './redactions-attribute.js';
import { DROP, Renamed, type FieldResult, type ValueRedactor } from './value-redactor.js';

/**
 * Redaction of decision events that already exist (a pipeline that redacts after `decision`,
 * or events posted by SDKs). Payload fields are matched under the names they have as span
 * attributes — `decision.evidence.<key>`, `decision.policy.<name>`, `decision.<field>` — so one
 * set of rules means the same before and after the decision processor.
 */
export class EventRedactor {
  private readonly findings = new Findings();

  constructor(private readonly values: ValueRedactor) {}

  /**
   * The event itself when nothing applies; otherwise a new event listing its redactions, of the
   * event's own type (a copy of a mutable event is mutable; of a shared, read-only one, read-only).
   */
  redact<E extends ReadonlyDecisionEvent>(event: E): E {
    const findings = this.findings;
    findings.reset();
    const payload = this.redactPayload(event);
    const actor = event.actor === null ? null : this.redactActor(event.actor);
    if (findings.isEmpty && payload === event.payload && actor === event.actor) return event;
    if (findings.isEmpty) return { ...event, payload, actor };
    return { ...event, payload, actor, redactions: mergeRedactions(event.redactions ?? [], findings.entries) };
  }

  private redactPayload(event: ReadonlyDecisionEvent): Record<string, unknown> {
    const payload = event.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
    const eventType = schemaEventType(event.event_type);
    let out: Record<string, unknown> | null = null;
    const change = (key: string, result: FieldResult, renameKey = key) => {
      out ??= { ...payload };
      if (result === DROP) delete out[key];
      else if (result instanceof Renamed) {
        delete out[key];
        out[`${renameKey}${result.suffix}`] = result.value;
      } else out[key] = result;
    };

    for (const key in payload) {
      const value = payload[key];
      switch (key) {
        case 'evidence':
          if (isPlainObject(value)) {
            const evidence = this.values.redactEntries(value, ATTR_DECISION_EVIDENCE, this.findings, this.values.allowListOn);
            if (evidence !== value) change(key, evidence);
            continue;
          }
          break;
        case 'policy_checks':
          if (Array.isArray(value)) {
            const checks = this.redactPolicyChecks(value);
            if (checks !== value) change(key, checks);
            continue;
          }
          break;
        case 'key':
        case 'policy':
          // Names of the evidence or policy a typed event is about, not values.
          if (eventType === 'decision.evidence' || eventType === 'decision.policy_check') continue;
          break;
        case 'value':
          if (eventType === 'decision.evidence' && typeof payload.key === 'string') {
            const result = this.field(`decision.evidence.${payload.key}`, value);
            if (result instanceof Renamed) {
              // The evidence key itself is renamed (`email` → `email_domain`).
              out ??= { ...payload };
              out.key = `${payload.key}${result.suffix}`;
              out.value = result.value;
            } else if (result !== value) change(key, result === DROP ? null : result);
            continue;
          }
          break;
        case 'result':
        case 'inputs':
          if (eventType === 'decision.policy_check' && typeof payload.policy === 'string') {
            const path = key === 'result' ? `decision.policy.${payload.policy}` : `decision.policy.${payload.policy}.inputs`;
            const result = this.field(path, value);
            if (result !== value) change(key, result instanceof Renamed ? result.value : result);
            continue;
          }
          break;
        case 'status':
          if (eventType === 'decision.outcome') {
            const result = this.field('decision.outcome', value);
            if (result !== value) change(key, result instanceof Renamed ? result.value : result);
            continue;
          }
          break;
      }
      const result = this.field(`decision.${key}`, value);
      if (result !== value) change(key, result);
    }
    return out ?? payload;
  }

  private redactPolicyChecks(checks: unknown[]): unknown[] {
    let out: unknown[] | null = null;
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i];
      let redacted: unknown = check;
      if (isPlainObject(check) && typeof check.policy === 'string') {
        const path = `decision.policy.${check.policy}`;
        if (this.values.allowListOn && !this.values.isAllowed(path)) {
          this.findings.add(path, 'drop');
          redacted = DROP;
        } else {
          const result = this.values.redactField(path, check.result, this.findings);
          const inputs = 'inputs' in check ? this.field(`${path}.inputs`, check.inputs) : undefined;
          if (result !== check.result || inputs !== check.inputs) {
            const copy: Record<string, unknown> = { ...check };
            copy.result = result === DROP ? null : result instanceof Renamed ? result.value : result;
            if (inputs === DROP) delete copy.inputs;
            else if ('inputs' in check) copy.inputs = inputs instanceof Renamed ? inputs.value : inputs;
            redacted = copy;
          }
        }
      }
      if (redacted === check && out === null) continue;
      out ??= checks.slice(0, i);
      if (redacted !== DROP) out.push(redacted);
    }
    return out ?? checks;
  }

  private redactActor(actor: Actor): Actor {
    // Every field, as on a span (`decision.actor.<field>`): a rule naming one must hold here too.
    const id = this.scalarField(ATTR_DECISION_ACTOR_ID, actor.id);
    const type = this.scalarField(ATTR_DECISION_ACTOR_TYPE, actor.type);
    const version = this.scalarField(ATTR_DECISION_ACTOR_VERSION, actor.version);
    const org = this.scalarField(ATTR_DECISION_ACTOR_ORG, actor.org);
    if (id === actor.id && type === actor.type && version === actor.version && org === actor.org) return actor;
    return { ...actor, id, type, version, org };
  }

  private scalarField(path: string, value: string | null): string | null {
    if (value === null) return null;
    const result = this.field(path, value);
    if (result === DROP) return null;
    if (result instanceof Renamed) return result.value;
    return typeof result === 'string' ? result : value;
  }

  /** A top-level field: the allow list, then the rules. */
  private field(path: string, value: unknown): FieldResult {
    if (this.values.allowListOn && !this.values.isAllowed(path)) {
      this.findings.add(path, 'drop');
      return DROP;
    }
    return this.values.redactField(path, value, this.findings);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
