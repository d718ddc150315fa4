import { parseTypeVersion } from '@decision-trace/model';
import type { RetentionPolicy } from './store.js';

/** The decisions of one tenant and type that have expired: ordering time before `beforeMicros`. */
export interface RetentionTarget {
  tenant: string;
  /** null: decisions without a type. */
  type: string | null;
  /** Epoch microseconds, exclusive, compared with the decisions' sort_time. */
  beforeMicros: number;
}

/** A tenant and type that hold decisions, as a backend lists them. */
export interface StoredDecisionKind {
  tenant: string;
  type: string | null;
}

/**
 * Refuses policies a backend could not apply unambiguously: a TTL that is not a positive whole
 * number of milliseconds, a versioned type, two rules for the same tenant and type.
 */
export function validateRetentionPolicies(policies: readonly RetentionPolicy[]): void {
  if (!Array.isArray(policies)) throw new RangeError('retention policies must be an array');
  const seen = new Set<string>();
  policies.forEach((policy, index) => {
    const where = `retention policy ${index}`;
    if (typeof policy !== 'object' || policy === null) throw new RangeError(`${where}: expected an object`);
    if (!Number.isSafeInteger(policy.ttl_ms) || policy.ttl_ms <= 0) {
      throw new RangeError(`${where}: ttl_ms must be a positive whole number of milliseconds, got ${String(policy.ttl_ms)}`);
    }
    for (const field of ['tenant', 'type'] as const) {
      const value = policy[field];
      if (value !== undefined && (typeof value !== 'string' || value === '')) {
        throw new RangeError(`${where}: ${field} must be a non-empty string when given`);
      }
    }
    if (policy.type !== undefined && parseTypeVersion(policy.type).version !== null) {
      throw new RangeError(`${where}: type "${policy.type}" has a version suffix; retention is per type, for all its versions`);
    }
    const key = ruleKey(policy.tenant ?? null, policy.type ?? null);
    if (seen.has(key)) {
      throw new RangeError(`${where}: a second rule for tenant ${policy.tenant ?? '(any)'} and type ${policy.type ?? '(any)'}`);
    }
    seen.add(key);
  });
}

/**
 * The rule that governs decisions of `tenant` and `type`, most specific first; null if none.
 * A tenant's own rule outranks a rule for a type across tenants: retention is usually agreed
 * per customer, and a customer's agreement should not be shortened by a global type rule.
 */
export function governingRetentionPolicy(policies: readonly RetentionPolicy[], tenant: string, type: string | null): RetentionPolicy | null {
  let best: RetentionPolicy | null = null;
  let bestRank = 0;
  for (const policy of policies) {
    const rank = specificity(policy, tenant, type);
    if (rank > bestRank) {
      best = policy;
      bestRank = rank;
    }
  }
  return best;
}

/** The expired slices of the stored decisions at `now`, ordered by tenant then type (null first). */
export function planRetention(policies: readonly RetentionPolicy[], stored: Iterable<StoredDecisionKind>, now: Date): RetentionTarget[] {
  validateRetentionPolicies(policies);
  const nowMillis = now.getTime();
  if (!Number.isFinite(nowMillis)) throw new RangeError('retention needs a valid current time');
  const targets: RetentionTarget[] = [];
  for (const { tenant, type } of stored) {
    const policy = governingRetentionPolicy(policies, tenant, type);
    if (policy === null) continue;
    targets.push({ tenant, type, beforeMicros: (nowMillis - policy.ttl_ms) * 1000 });
  }
  return targets.sort((a, b) => compareText(a.tenant, b.tenant) || compareType(a.type, b.type));
}

/** Splits planRetention's targets into one run per tenant (a backend handles a tenant at a time). */
export function* retentionTargetsByTenant(targets: readonly RetentionTarget[]): Generator<RetentionTarget[]> {
  let start = 0;
  for (let i = 1; i <= targets.length; i++) {
    if (i === targets.length || targets[i]!.tenant !== targets[start]!.tenant) {
      yield targets.slice(start, i);
      start = i;
    }
  }
}

/** 0: the rule does not apply; higher: more specific. */
function specificity(policy: RetentionPolicy, tenant: string, type: string | null): number {
  if (policy.tenant !== undefined && policy.tenant !== tenant) return 0;
  if (policy.type !== undefined && policy.type !== type) return 0;
  if (policy.tenant !== undefined) return policy.type !== undefined ? 4 : 3;
  return policy.type !== undefined ? 2 : 1;
}

function ruleKey(tenant: string | null, type: string | null): string {
  return JSON.stringify([tenant, type]);
}

function compareType(a: string | null, b: string | null): number {
  if (a === null || b === null) return Number(a !== null) - Number(b !== null);
  return compareText(a, b);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
