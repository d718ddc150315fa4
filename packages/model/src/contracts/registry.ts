import { z } from 'zod';
import { parseTypeVersion } from '../type-version.js';
import { fromUpstreamRegistry, isUpstreamRegistry } from './upstream-registry.js';
import type { RegistryProblem } from './registry-problem.js';

/**
 * The decision registry: the contract each decision type (and version) follows. Parsed from a
 * plain object (the collector reads it from YAML); every problem is reported with its path in
 * the document.
 *
 *   decision_types:
 *     refund.approve:
 *       description: Approve or deny a refund
 *       actor_type: agent                # or a list
 *       key_evidence: [order_id, amount] # evidence keys every record must have
 *       key_policies: [refund_limit]     # policy checks every record must have
 *       outcomes: [approved, denied]     # allowed outcomes (absent: any)
 *       expected_children: [fraud.score] # child decision types (a version suffix pins one)
 *       confidence_required: true
 *       versions:                        # optional; a version's fields replace the type's
 *         v2: { key_evidence: [order_id, amount, reason] }
 */
export interface DecisionContract {
  description: string | null;
  /** Allowed actor types; null: any. */
  actor_type: string[] | null;
  key_evidence: string[];
  key_policies: string[];
  /** Allowed outcomes; null: any. */
  outcomes: string[] | null;
  expected_children: string[];
  confidence_required: boolean;
}

export interface RegisteredDecisionType {
  type: string;
  /** The type's own contract: for records without a version or when no versions are declared. */
  contract: DecisionContract;
  /** Declared versions, each with the type's fields overridden by its own. */
  versions: Map<string, DecisionContract>;
}

export interface DecisionRegistry {
  types: Map<string, RegisteredDecisionType>;
}

export type ParseRegistryResult = { ok: true; registry: DecisionRegistry } | { ok: false; problems: RegistryProblem[] };

const name = z.string().trim().min(1, 'must not be empty');
const names = z.array(name);

const contractFields = {
  description: z.string().optional(),
  actor_type: z.union([name, names.min(1, 'list at least one actor type')]).optional(),
  key_evidence: names.optional(),
  key_policies: names.optional(),
  outcomes: names.min(1, 'list at least one outcome, or leave outcomes out to allow any').optional(),
  expected_children: names.optional(),
  confidence_required: z.boolean().optional(),
};

const versionSchema = z.strictObject(contractFields);
const typeSchema = z.strictObject({
  ...contractFields,
  versions: z.record(z.string(), versionSchema).optional(),
});
const registrySchema = z.strictObject({
  decision_types: z.record(z.string(), typeSchema.nullable(), {
    error: (issue) =>
      issue.input === undefined ? 'required: a map of decision types to their contracts' : 'expected a map of decision types to their contracts',
  }),
});

type ContractInput = z.output<typeof versionSchema>;

/** Our format, or one of upstream's (upstream-registry.ts), told apart by their top-level keys. */
export function parseDecisionRegistry(document: unknown): ParseRegistryResult {
  if (isUpstreamRegistry(document)) {
    const converted = fromUpstreamRegistry(document);
    if (!converted.ok) return converted;
    return parseOwnRegistry(converted.document);
  }
  return parseOwnRegistry(document);
}

function parseOwnRegistry(document: unknown): ParseRegistryResult {
  const parsed = registrySchema.safeParse(document ?? {});
  if (!parsed.success) {
    const problems: RegistryProblem[] = [];
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ path: [...path, key], message: 'unknown key' });
      } else {
        problems.push({ path, message: issue.message });
      }
    }
    return { ok: false, problems };
  }

  const problems: RegistryProblem[] = [];
  const types = new Map<string, RegisteredDecisionType>();
  for (const [typeName, body] of Object.entries(parsed.data.decision_types)) {
    const at = ['decision_types', typeName];
    const written = parseTypeVersion(typeName);
    if (written.type === null) {
      problems.push({ path: at, message: 'a decision type name must not be empty' });
      continue;
    }
    if (written.version !== null) {
      problems.push({
        path: at,
        message: `write the type without its version (${written.type}) and declare ${written.version} under versions`,
      });
      continue;
    }
    const base = toContract(body ?? {}, null);
    const versions = new Map<string, DecisionContract>();
    for (const [version, overrides] of Object.entries(body?.versions ?? {})) {
      if (parseTypeVersion(`${typeName}.${version}`).version !== version) {
        problems.push({ path: [...at, 'versions', version], message: 'a version is v followed by digits (v2, v1.1, v3_1)' });
        continue;
      }
      versions.set(version, toContract(overrides, base));
    }
    types.set(written.type, { type: written.type, contract: base, versions });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, registry: { types } };
}

function toContract(input: ContractInput, base: DecisionContract | null): DecisionContract {
  const actorTypes = input.actor_type === undefined ? undefined : typeof input.actor_type === 'string' ? [input.actor_type] : input.actor_type;
  return {
    description: input.description ?? base?.description ?? null,
    actor_type: actorTypes ?? base?.actor_type ?? null,
    key_evidence: input.key_evidence ?? base?.key_evidence ?? [],
    key_policies: input.key_policies ?? base?.key_policies ?? [],
    outcomes: input.outcomes ?? base?.outcomes ?? null,
    expected_children: input.expected_children ?? base?.expected_children ?? [],
    confidence_required: input.confidence_required ?? base?.confidence_required ?? false,
  };
}
