import { z } from 'zod';
import { parseTypeVersion } from '../type-version.js';
import type { RegistryProblem } from './registry-problem.js';

/**
 * The registry formats of the upstream Decision Trace project, read unchanged beside ours:
 *
 * - its template (`contracts/decision-registry.template.yaml`): `version`, `service`, `owner` and
 *   a list `decisions` of `{decision_type, description, entrypoint, actor: {id, type},
 *   expected_children, key_evidence, key_policies, outcomes}`;
 * - what its `linter.py` reads: `decisions: [{type}]` and `actors: [{type}]`, the known decision
 *   types and the actor types allowed for all of them.
 *
 * Both become our own document (`decision_types:` keyed by type), so one parser and one checker
 * serve every format. Keys only for people (`service`, `owner`, `entrypoint`, `actor.id`) are
 * read and not checked; unknown keys are ignored, as upstream's linter ignores them. A type
 * written with its version suffix (`loan.application.v1`) declares that version of the type.
 */

const text = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty');
const texts = z.array(text, { error: 'must be a list of strings' });

const upstreamDecision = z.object(
  {
    decision_type: text.optional(),
    type: text.optional(),
    description: z.string({ error: 'must be a string' }).optional(),
    actor: z.object({ id: z.string().optional(), type: text.optional() }, { error: 'must be a map with id and type' }).optional(),
    expected_children: texts.nullish(),
    key_evidence: texts.nullish(),
    key_policies: texts.nullish(),
    outcomes: texts.nullish(),
    confidence_required: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: 'must be a map' },
);

const upstreamRegistry = z.object({
  decisions: z.array(upstreamDecision, { error: 'must be a list of decisions' }),
  actors: z.array(z.object({ type: text.optional() }, { error: 'must be a map' }), { error: 'must be a list of actors' }).nullish(),
});

/** Whether a registry document is in one of upstream's formats (a `decisions` list) rather than ours. */
export function isUpstreamRegistry(document: unknown): boolean {
  return typeof document === 'object' && document !== null && !Array.isArray(document) && 'decisions' in document && !('decision_types' in document);
}

type OurContract = Record<string, unknown>;

/** Our registry document for an upstream one, or the problems found, with their upstream paths. */
export function fromUpstreamRegistry(
  document: unknown,
): { ok: true; document: { decision_types: Record<string, OurContract> } } | { ok: false; problems: RegistryProblem[] } {
  const parsed = upstreamRegistry.safeParse(document);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        path: issue.path.map((part) => (typeof part === 'number' ? part : String(part))),
        message: issue.message,
      })),
    };
  }
  const problems: RegistryProblem[] = [];
  // linter.py: every actor type listed under `actors` is allowed, for every decision.
  const allowedActors = parsed.data.actors?.flatMap((actor) => (actor.type === undefined ? [] : [actor.type]));
  const types: Record<string, OurContract & { versions?: Record<string, OurContract> }> = {};
  parsed.data.decisions.forEach((entry, index) => {
    const name = entry.decision_type ?? entry.type;
    if (name === undefined) {
      problems.push({ path: ['decisions', index], message: 'needs decision_type (the template) or type (linter.py)' });
      return;
    }
    const contract: OurContract = {};
    if (entry.description !== undefined) contract.description = entry.description;
    const actorTypes = entry.actor?.type !== undefined ? [entry.actor.type] : allowedActors;
    if (actorTypes !== undefined && actorTypes.length > 0) contract.actor_type = actorTypes;
    if (entry.key_evidence) contract.key_evidence = entry.key_evidence;
    if (entry.key_policies) contract.key_policies = entry.key_policies;
    // An empty list upstream says nothing about outcomes; ours would mean "none allowed".
    if (entry.outcomes && entry.outcomes.length > 0) contract.outcomes = entry.outcomes;
    if (entry.expected_children) contract.expected_children = entry.expected_children;
    if (entry.confidence_required !== undefined) contract.confidence_required = entry.confidence_required;

    const { type, version } = parseTypeVersion(name);
    if (type === null) {
      problems.push({ path: ['decisions', index], message: 'a decision type name must not be empty' });
      return;
    }
    const declared = (types[type] ??= {});
    if (version === null) {
      if (Object.keys(declared).some((key) => key !== 'versions')) {
        problems.push({ path: ['decisions', index], message: `decision type ${type} is declared twice` });
        return;
      }
      Object.assign(declared, contract);
    } else {
      declared.versions ??= {};
      if (declared.versions[version] !== undefined) {
        problems.push({ path: ['decisions', index], message: `decision type ${name} is declared twice` });
        return;
      }
      declared.versions[version] = contract;
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, document: { decision_types: types } };
}
