import type { Attributes } from '@opentelemetry/api';
import { CAUSAL_LINK_TYPES, type CausalLink, type CausalLinkType } from '@decision-trace/model';
import { snapshotJson, snapshotValue } from '../snapshot/safe-json.js';
import {
  DT_ACTIONS,
  DT_ALTERNATIVES,
  DT_APPROVALS,
  DT_CAUSAL_LINKS,
  DT_CONFIDENCE,
  DT_ERROR,
  DT_EVIDENCE,
  DT_FACTORS,
  DT_OUTCOME,
  DT_POLICY_CHECKS,
} from './decision-attributes.js';

export interface OutcomeDetails {
  /** 0..1. */
  confidence?: number;
  /** The options that were not chosen. */
  alternatives?: unknown[];
  /** What weighed in, by name. */
  factors?: Record<string, unknown>;
}

const causalLinkTypes: ReadonlySet<string> = new Set(CAUSAL_LINK_TYPES);

/**
 * What a decision has recorded so far. Every value is turned into JSON text the moment it is
 * given (a snapshot: mutating the original afterwards changes nothing), and the span attributes
 * are assembled from those texts once, at the end.
 */
export class DecisionState {
  private evidence: Map<string, string> | null = null;
  private policyChecks: string[] | null = null;
  private actions: string[] | null = null;
  private approvals: string[] | null = null;
  private outcomeText: string | null = null;
  private confidence: number | null = null;
  private alternatives: string | null = null;
  private factors: string | null = null;
  private errorPayload: string | null = null;
  private errorText: string | null = null;
  private links: CausalLink[] | null = null;

  get outcome(): string | null {
    return this.outcomeText;
  }

  /** The recorded error's message, or null when none was recorded. */
  get errorMessage(): string | null {
    return this.errorText;
  }

  addEvidence(key: string, value: unknown): void {
    (this.evidence ??= new Map()).set(key, snapshotJson(value));
  }

  addPolicyCheck(policy: string, result: unknown, inputs: unknown): void {
    const inputsPart = inputs === undefined ? '' : `,"inputs":${snapshotJson(inputs)}`;
    (this.policyChecks ??= []).push(`{"policy":${JSON.stringify(policy)},"result":${snapshotJson(result)}${inputsPart}}`);
  }

  addAction(name: string, details: Record<string, unknown> | undefined): void {
    (this.actions ??= []).push(namedObjectJson('name', name, details));
  }

  addApproval(status: string, details: Record<string, unknown> | undefined): void {
    (this.approvals ??= []).push(namedObjectJson('status', status, details));
  }

  setOutcome(value: string | number | boolean, details: OutcomeDetails | undefined): void {
    this.outcomeText = String(value);
    if (details === undefined) return;
    if (details.confidence !== undefined) this.confidence = details.confidence;
    if (details.alternatives !== undefined) this.alternatives = snapshotJson(details.alternatives);
    if (details.factors !== undefined) this.factors = snapshotJson(details.factors);
  }

  setError(error: unknown): void {
    const payload = errorPayload(error);
    this.errorPayload = JSON.stringify(payload);
    this.errorText = payload.message;
  }

  /** False (and nothing kept) when the type is not one of the schema's link types. */
  addCausalLink(type: CausalLinkType, targetDecisionId: string): boolean {
    if (!causalLinkTypes.has(type) || typeof targetDecisionId !== 'string' || targetDecisionId === '') return false;
    const links = (this.links ??= []);
    if (!links.some((link) => link.type === type && link.target_decision_id === targetDecisionId)) {
      links.push({ type, target_decision_id: targetDecisionId });
    }
    return true;
  }

  /** The attributes the decision's span gets when it ends. */
  endAttributes(): Attributes {
    const attributes: Attributes = {};
    if (this.evidence !== null) {
      let text = '';
      for (const [key, json] of this.evidence) text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${json}`;
      attributes[DT_EVIDENCE] = `{${text}}`;
    }
    if (this.policyChecks !== null) attributes[DT_POLICY_CHECKS] = `[${this.policyChecks.join(',')}]`;
    if (this.actions !== null) attributes[DT_ACTIONS] = `[${this.actions.join(',')}]`;
    if (this.approvals !== null) attributes[DT_APPROVALS] = `[${this.approvals.join(',')}]`;
    if (this.outcomeText !== null) attributes[DT_OUTCOME] = this.outcomeText;
    if (this.confidence !== null) attributes[DT_CONFIDENCE] = this.confidence;
    if (this.alternatives !== null) attributes[DT_ALTERNATIVES] = this.alternatives;
    if (this.factors !== null) attributes[DT_FACTORS] = this.factors;
    if (this.errorPayload !== null) attributes[DT_ERROR] = this.errorPayload;
    if (this.links !== null) attributes[DT_CAUSAL_LINKS] = JSON.stringify(this.links);
    return attributes;
  }
}

/** `{<field>: name, ...details}` as JSON; details that are not an object go under `details`. */
function namedObjectJson(field: string, name: string, details: unknown): string {
  if (details === undefined) return `{${JSON.stringify(field)}:${JSON.stringify(name)}}`;
  const snapshot = snapshotValue(details);
  const body: Record<string, unknown> =
    typeof snapshot === 'object' && snapshot !== null && !Array.isArray(snapshot)
      ? { [field]: name, ...(snapshot as Record<string, unknown>) }
      : { [field]: name, details: snapshot };
  // The explicit name wins over a same-named detail, and stays the first key.
  body[field] = name;
  return JSON.stringify(body);
}

/** The canonical error payload: `{message, error_type}`. */
export function errorPayload(error: unknown): { message: string; error_type: string } {
  if (error instanceof Error) return { message: error.message, error_type: error.name || error.constructor.name };
  if (typeof error === 'object' && error !== null) return { message: snapshotJson(error), error_type: 'object' };
  return { message: String(error), error_type: typeof error };
}
