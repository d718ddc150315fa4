import { schemaEventType, type DecisionEvent } from '../event.js';
import type { DecisionRecord } from '../record.js';
import type { ContractViolation } from '../decision-notes.js';
import { applyEvent } from '../reduce.js';
import { parseTypeVersion } from '../type-version.js';
import type { DecisionContract, DecisionRegistry } from './registry.js';

/** What to do with a decision whose type the registry does not declare. */
export const UNKNOWN_TYPE_MODES = ['allow', 'flag', 'reject'] as const;
export type UnknownTypeMode = (typeof UNKNOWN_TYPE_MODES)[number];

export interface ContractCheckOptions {
  unknownTypes: UnknownTypeMode;
}

export interface RecordCheckOptions extends ContractCheckOptions {
  /**
   * The decision's child records (parent_decision_id = its id). Without them the
   * `expected_children` rule is not checked: one batch of spans rarely holds all children.
   */
  children?: readonly Pick<DecisionRecord, 'type' | 'version'>[];
}

interface ResolvedContract {
  contract: DecisionContract | null;
  violations: ContractViolation[];
}

/** The contract a type and version follow, or the violations that say why there is none. */
export function resolveContract(registry: DecisionRegistry, type: string, version: string | null, options: ContractCheckOptions): ResolvedContract {
  const registered = registry.types.get(type);
  if (registered === undefined) {
    if (options.unknownTypes === 'allow') return { contract: null, violations: [] };
    const detail =
      options.unknownTypes === 'reject' ? `decision type ${type} is not in the registry (rejected)` : `decision type ${type} is not in the registry`;
    return { contract: null, violations: [{ rule: 'unknown_type', detail }] };
  }
  if (version === null || registered.versions.size === 0) return { contract: registered.contract, violations: [] };
  const versioned = registered.versions.get(version);
  if (versioned !== undefined) return { contract: versioned, violations: [] };
  const known = [...registered.versions.keys()].join(', ');
  return {
    // The type's own rules still hold for a version the registry does not know.
    contract: registered.contract,
    violations: [{ rule: 'unknown_version', detail: `version ${version} of ${type} is not in the registry (known: ${known})` }],
  };
}

/** Every rule of its contract a whole record breaks. A record without a type has no contract. */
export function checkDecisionRecord(registry: DecisionRegistry, record: DecisionRecord, options: RecordCheckOptions): ContractViolation[] {
  if (record.type === null) return [];
  const { contract, violations } = resolveContract(registry, record.type, record.version, options);
  if (contract === null) return violations;
  checkActorType(contract, record.actor?.type ?? null, true, violations);
  for (const key of contract.key_evidence) {
    if (!(key in record.evidence)) violations.push({ rule: 'key_evidence', detail: `missing evidence ${key}` });
  }
  for (const policy of contract.key_policies) {
    if (!record.policy_checks.some((check) => check.policy === policy)) {
      violations.push({ rule: 'key_policies', detail: `missing policy check ${policy}` });
    }
  }
  checkOutcome(contract, record.outcome, violations);
  if (contract.confidence_required && record.confidence === null) {
    violations.push({ rule: 'confidence_required', detail: 'confidence is required' });
  }
  if (options.children !== undefined) {
    for (const expected of contract.expected_children) {
      const wanted = parseTypeVersion(expected);
      const found = options.children.some((child) => child.type === wanted.type && (wanted.version === null || child.version === wanted.version));
      if (!found) violations.push({ rule: 'expected_children', detail: `no child decision of type ${expected}` });
    }
  }
  return violations;
}

/**
 * The violations one event shows on its own. A `decision.observed` event is a whole decision
 * (one span or span event), so every rule but `expected_children` is checked; other events are
 * parts of a decision whose other parts may come later, so only what they carry is checked
 * (type, version, actor type, outcome).
 */
export function checkDecisionEvent(registry: DecisionRegistry, event: DecisionEvent, options: ContractCheckOptions): ContractViolation[] {
  const typed = parseTypeVersion(event.decision_type);
  if (typed.type === null) return [];
  if (event.event_type === 'decision.observed') {
    return checkDecisionRecord(registry, applyEvent(undefined, event), { unknownTypes: options.unknownTypes });
  }
  const payload = event.payload ?? {};
  const version = typed.version ?? (typeof payload.version === 'string' && payload.version !== '' ? payload.version : null);
  const { contract, violations } = resolveContract(registry, typed.type, version, options);
  if (contract === null) return violations;
  checkActorType(contract, event.actor?.type ?? null, false, violations);
  const outcome = schemaEventType(event.event_type) === 'decision.outcome' ? payload.status : payload.outcome;
  if (typeof outcome === 'string' && outcome !== '') checkOutcome(contract, outcome, violations);
  return violations;
}

function checkActorType(contract: DecisionContract, actorType: string | null, missingIsViolation: boolean, violations: ContractViolation[]): void {
  const allowed = contract.actor_type;
  if (allowed === null) return;
  if (actorType === null || actorType === '') {
    if (missingIsViolation) violations.push({ rule: 'actor_type', detail: `actor type missing (expected ${allowed.join(' or ')})` });
    return;
  }
  if (!allowed.includes(actorType)) {
    violations.push({ rule: 'actor_type', detail: `actor type ${actorType} is not ${allowed.join(' or ')}` });
  }
}

function checkOutcome(contract: DecisionContract, outcome: string | null, violations: ContractViolation[]): void {
  if (contract.outcomes === null || outcome === null) return;
  if (!contract.outcomes.includes(outcome)) {
    violations.push({ rule: 'outcome', detail: `outcome ${outcome} is not one of ${contract.outcomes.join(', ')}` });
  }
}
