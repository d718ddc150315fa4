import { schemaEventType, type Actor, type CausalLink, type ReadonlyDecisionEvent } from './event.js';
import type { DecisionRecord, DecisionStatus, PolicyCheck } from './record.js';
import type { ContractViolation, RecordFlag, RedactionEntry } from './decision-notes.js';
import { parseTypeVersion } from './type-version.js';
import { compareExactInstants, exactDurationMillis, parseExactInstant, type ExactInstant } from './instant.js';

/**
 * The fold of decision events into a decision record (conventions: the event payload brief).
 *
 * `applyEvent` never modifies `prev` or anything reachable from it: it returns a new record,
 * and every array or object it changes is a new one. Values it does not change are shared
 * between `prev` and the result, so callers must treat records as immutable too.
 *
 * Scalar overrides (outcome, confidence, version, …) follow application order: the last event
 * applied wins. Envelope fields (trace_id, environment, …) follow "first non-empty wins".
 */

/** A record with no event applied yet; `updated_at` is empty until the first event. */
export function emptyRecord(id: string, tenant: string): DecisionRecord {
  return {
    id,
    trace_id: null,
    span_id: null,
    parent_decision_id: null,
    causal_links: [],
    type: null,
    version: null,
    tenant,
    environment: null,
    actor: null,
    evidence: {},
    policy_checks: [],
    actions: [],
    approvals: [],
    outcome: null,
    confidence: null,
    alternatives: null,
    factors: null,
    error: null,
    evaluations: [],
    status: 'pending',
    start_time: null,
    end_time: null,
    duration_ms: null,
    service_name: null,
    flags: [],
    trace_sampled: null,
    adjusted_count: null,
    violations: [],
    redactions: [],
    token_usage: null,
    token_usage_with_nested: null,
    event_count: 0,
    updated_at: '',
  };
}

export function applyEvent(prev: DecisionRecord | undefined, event: ReadonlyDecisionEvent): DecisionRecord {
  const next: DecisionRecord = { ...(prev ?? emptyRecord(event.decision_id, event.tenant_id)) };
  const payload: Record<string, unknown> = isPlainObject(event.payload) ? event.payload : {};

  applyEnvelope(next, event);
  applyAnnotations(next, event);
  applySampling(next, event);
  const eventType = schemaEventType(event.event_type);
  if (eventType === 'decision.sampling') {
    // A sampler's verdict arrives when the sampler decides: its time is not the decision's.
    applyUpdatedAt(next, event.timestamp);
  } else if (isEntryEventType(eventType)) {
    applyEntry(next, eventType, payload);
    applyTimes(next, event, payload, NOTHING_MERGED);
  } else {
    const merged = mergeOptionalFields(next, payload);
    applyTypedPayload(next, event, payload, merged);
    applyTimes(next, event, payload, merged);
  }

  next.status = statusOf(next);
  next.event_count = next.event_count + 1;
  return next;
}

/** Payload fields every event type may carry; the reducer merges each one it finds. */
const OPTIONAL_FIELDS = [
  'version',
  'outcome',
  'confidence',
  'alternatives',
  'factors',
  'evidence',
  'policy_checks',
  'actions',
  'approvals',
  'evaluations',
  'error',
  'start_time',
  'end_time',
] as const;
type OptionalField = (typeof OPTIONAL_FIELDS)[number];

/**
 * Schema 1.0's action, approval, evaluation and error events describe one thing that happened
 * within the decision: their whole payload is that entry, as the SDK wrote it. None of its keys
 * speaks for the record (an evaluation's `outcome` is the evaluation's verdict, an action's
 * `confidence` the action's), so they never set the record's version, outcome, confidence or
 * evidence.
 */
const ENTRY_EVENT_TYPES = ['decision.action', 'decision.approval', 'decision.evaluation', 'decision.error'] as const;
type EntryEventType = (typeof ENTRY_EVENT_TYPES)[number];
const NOTHING_MERGED: ReadonlySet<OptionalField> = new Set();

function isEntryEventType(eventType: string): eventType is EntryEventType {
  return (ENTRY_EVENT_TYPES as readonly string[]).includes(eventType);
}

function applyEntry(next: DecisionRecord, eventType: EntryEventType, payload: Record<string, unknown>): void {
  const entry = { ...payload };
  switch (eventType) {
    case 'decision.action':
      next.actions = [...next.actions, entry];
      return;
    case 'decision.approval':
      next.approvals = [...next.approvals, entry];
      return;
    case 'decision.evaluation':
      next.evaluations = [...next.evaluations, entry];
      return;
    case 'decision.error':
      next.error = entry;
      return;
  }
}

function applyEnvelope(next: DecisionRecord, event: ReadonlyDecisionEvent): void {
  const parsed = parseTypeVersion(event.decision_type);
  if (parsed.type !== null) {
    if (next.type === null) next.type = parsed.type;
    // A version suffix only describes the record when it belongs to the record's own type.
    if (next.version === null && parsed.version !== null && parsed.type === next.type) {
      next.version = parsed.version;
    }
  }
  next.trace_id = firstPresent(next.trace_id, event.trace_id);
  next.span_id = firstPresent(next.span_id, event.span_id);
  next.parent_decision_id = firstPresent(next.parent_decision_id, event.parent_decision_id);
  next.environment = firstPresent(next.environment, event.environment);
  next.service_name = firstPresent(next.service_name, event.service_name);

  if (event.actor) next.actor = mergeActor(next.actor, event.actor);
  if (Array.isArray(event.causal_links) && event.causal_links.length > 0) {
    next.causal_links = unionCausalLinks(next.causal_links, event.causal_links);
  }
  if (Array.isArray(event.flags) && event.flags.length > 0) addFlags(next, event.flags);
}

/** Returns the optional fields that were valid and merged, so typed payloads can skip them. */
function mergeOptionalFields(next: DecisionRecord, payload: Record<string, unknown>): Set<OptionalField> {
  const merged = new Set<OptionalField>();
  for (const field of OPTIONAL_FIELDS) {
    if (!(field in payload)) continue;
    const value = payload[field];
    if (value === undefined) continue;
    if (mergeOptionalField(next, field, value)) merged.add(field);
  }
  return merged;
}

function mergeOptionalField(next: DecisionRecord, field: OptionalField, value: unknown): boolean {
  switch (field) {
    case 'version':
      if (!isNonEmptyString(value)) return false;
      next.version = value;
      return true;
    case 'outcome':
      if (!isNonEmptyString(value)) return false;
      next.outcome = value;
      return true;
    case 'confidence':
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      next.confidence = value;
      return true;
    case 'alternatives':
      // The raw string of malformed JSON is kept on purpose (the converter flags it).
      if (!Array.isArray(value) && typeof value !== 'string') return false;
      next.alternatives = value;
      return true;
    case 'factors':
      if (!isPlainObject(value) && typeof value !== 'string') return false;
      next.factors = value;
      return true;
    case 'evidence':
      if (!isPlainObject(value)) return false;
      next.evidence = { ...next.evidence, ...value };
      return true;
    case 'policy_checks':
      if (!Array.isArray(value)) return false;
      for (const item of value) {
        if (isPlainObject(item) && isNonEmptyString(item.policy)) upsertPolicyCheck(next, item);
        else addFlags(next, [invalidValue('payload.policy_checks', 'an item is not {policy, result}')]);
      }
      return true;
    case 'actions':
    case 'approvals':
    case 'evaluations':
      if (!Array.isArray(value)) return false;
      if (value.length > 0) next[field] = [...next[field], ...value];
      return true;
    case 'error':
      if (!isPlainObject(value) && !isNonEmptyString(value)) return false;
      next.error = value;
      return true;
    case 'start_time':
    case 'end_time':
      if (typeof value === 'string' && parseExactInstant(value) !== null) return true;
      addFlags(next, [invalidValue(`payload.${field}`, 'not an RFC 3339 instant; the event timestamp was used')]);
      return false;
  }
}

function applyTypedPayload(next: DecisionRecord, event: ReadonlyDecisionEvent, payload: Record<string, unknown>, merged: Set<OptionalField>): void {
  // Ledger rows of earlier releases carry the unprefixed aliases.
  switch (schemaEventType(event.event_type)) {
    case 'decision.evidence':
      if (isNonEmptyString(payload.key)) {
        next.evidence = { ...next.evidence, [payload.key]: payload.value ?? null };
      } else {
        addFlags(next, [invalidValue('payload.key', 'evidence event without a key')]);
      }
      return;
    case 'decision.policy_check':
      if (isNonEmptyString(payload.policy)) upsertPolicyCheck(next, payload);
      else addFlags(next, [invalidValue('payload.policy', 'policy_check event without a policy name')]);
      return;
    case 'decision.outcome':
      if (isNonEmptyString(payload.status)) next.outcome = payload.status;
      else if (!merged.has('outcome')) addFlags(next, [invalidValue('payload.status', 'outcome event without a status')]);
      return;
    case 'decision.start':
    case 'decision.observed':
    case 'decision.linked':
      return;
  }
}

/**
 * Violations and redactions are facts about the events, so the record keeps their union (an
 * event delivered twice, or two events saying the same, adds nothing). Records stored before
 * these fields existed may lack them.
 */
function applyAnnotations(next: DecisionRecord, event: ReadonlyDecisionEvent): void {
  if (Array.isArray(event.violations) && event.violations.length > 0) {
    next.violations = unionBy(next.violations ?? [], event.violations, violationKey);
  }
  if (Array.isArray(event.redactions) && event.redactions.length > 0) {
    next.redactions = unionBy(next.redactions ?? [], event.redactions, redactionKey);
  }
}

function violationKey(violation: ContractViolation): string | null {
  if (!isPlainObject(violation) || !isNonEmptyString(violation.rule)) return null;
  return `${violation.rule}\u0000${violation.detail}`;
}

function redactionKey(redaction: RedactionEntry): string | null {
  if (!isPlainObject(redaction) || !isNonEmptyString(redaction.field)) return null;
  return `${redaction.field}\u0000${redaction.action}`;
}

/** `current` with the incoming items it lacks; `current` itself when nothing is new. */
function unionBy<T>(current: T[], incoming: T[], keyOf: (item: T) => string | null): T[] {
  let out = current;
  let seen: Set<string> | null = null;
  for (const item of incoming) {
    const key = keyOf(item);
    if (key === null) continue;
    seen ??= new Set(current.map(keyOf).filter((k): k is string => k !== null));
    if (seen.has(key)) continue;
    seen.add(key);
    if (out === current) out = [...current];
    out.push(item);
  }
  return out;
}

/**
 * Sampling verdicts combine independently of their order (events may arrive out of order):
 * the trace was kept only if no sampler dropped it, and the adjusted count is the largest
 * reported (a later stage reports the product with what earlier stages kept).
 */
function applySampling(next: DecisionRecord, event: ReadonlyDecisionEvent): void {
  const sampling = event.sampling;
  if (!isPlainObject(sampling)) return;
  if (typeof sampling.trace_sampled === 'boolean') {
    next.trace_sampled = next.trace_sampled === false ? false : sampling.trace_sampled;
  }
  const adjusted = sampling.adjusted_count;
  if (typeof adjusted === 'number' && Number.isFinite(adjusted) && adjusted >= 0) {
    next.adjusted_count = next.adjusted_count === null ? adjusted : Math.max(next.adjusted_count, adjusted);
  }
}

function applyUpdatedAt(next: DecisionRecord, timestamp: string): void {
  if (next.updated_at === '') next.updated_at = timestamp;
  else if (isLater(timestamp, next.updated_at)) next.updated_at = timestamp;
}

function applyTimes(next: DecisionRecord, event: ReadonlyDecisionEvent, payload: Record<string, unknown>, merged: ReadonlySet<OptionalField>): void {
  const timestamp = parseExactInstant(event.timestamp);
  if (timestamp === null) {
    addFlags(next, [invalidValue('timestamp', 'event timestamp is not an RFC 3339 instant')]);
  }

  // Times are kept as the text they came in (µs, ns); only comparisons go through the instant.
  const start = merged.has('start_time') ? (payload.start_time as string) : event.timestamp;
  const end = merged.has('end_time') ? (payload.end_time as string) : event.timestamp;
  const startInstant = merged.has('start_time') ? parseExactInstant(start) : timestamp;
  const endInstant = merged.has('end_time') ? parseExactInstant(end) : timestamp;

  if (startInstant !== null && (next.start_time === null || isBefore(startInstant, next.start_time))) {
    next.start_time = start;
  }
  if (endInstant !== null && (next.end_time === null || isAfter(endInstant, next.end_time))) {
    next.end_time = end;
  }
  if (next.start_time !== null && next.end_time !== null) {
    const first = parseExactInstant(next.start_time)!;
    const last = parseExactInstant(next.end_time)!;
    if (compareExactInstants(last, first) < 0) {
      // A span (or payload) that ends before it starts: its clock is wrong, no duration is true.
      addFlags(next, [{ code: 'end_before_start', field: 'end_time', detail: 'the decision ends before it starts; duration_ms left null' }]);
      next.duration_ms = null;
    } else {
      next.duration_ms = exactDurationMillis(first, last);
    }
  }

  if (next.updated_at === '') {
    next.updated_at = event.timestamp;
  } else if (timestamp !== null && isAfter(timestamp, next.updated_at)) {
    next.updated_at = event.timestamp;
  }
}

function isBefore(instant: ExactInstant, than: string): boolean {
  const other = parseExactInstant(than);
  return other === null || compareExactInstants(instant, other) < 0;
}

function isAfter(instant: ExactInstant, than: string): boolean {
  const other = parseExactInstant(than);
  return other !== null && compareExactInstants(instant, other) > 0;
}

function isLater(text: string, than: string): boolean {
  const instant = parseExactInstant(text);
  return instant !== null && isAfter(instant, than);
}

function statusOf(record: DecisionRecord): DecisionStatus {
  if (record.error !== null) return 'errored';
  if (record.outcome !== null) return 'decided';
  return 'pending';
}

/** A policy checked again keeps its place; its result becomes current and its history grows. */
function upsertPolicyCheck(next: DecisionRecord, source: Record<string, unknown>): void {
  const check: PolicyCheck = { policy: source.policy as string, result: source.result ?? null };
  if (source.inputs !== undefined) check.inputs = source.inputs;
  const index = next.policy_checks.findIndex((existing) => existing.policy === check.policy);
  const checks = [...next.policy_checks];
  if (index === -1) {
    checks.push(check);
  } else {
    const previous = checks[index];
    const earlier = Array.isArray(previous.history) ? previous.history : [historyEntry(previous)];
    checks[index] = { ...check, history: [...earlier, historyEntry(check)] };
  }
  next.policy_checks = checks;
}

function historyEntry(check: PolicyCheck): { result: unknown; inputs?: unknown } {
  return check.inputs === undefined ? { result: check.result } : { result: check.result, inputs: check.inputs };
}

function mergeActor(current: Actor | null, incoming: Actor): Actor {
  if (current === null) {
    return {
      id: incoming.id ?? null,
      type: incoming.type ?? null,
      version: incoming.version ?? null,
      org: incoming.org ?? null,
    };
  }
  return {
    id: firstPresent(current.id, incoming.id),
    type: firstPresent(current.type, incoming.type),
    version: firstPresent(current.version, incoming.version),
    org: firstPresent(current.org, incoming.org),
  };
}

function unionCausalLinks(current: CausalLink[], incoming: CausalLink[]): CausalLink[] {
  const seen = new Set(current.map(causalLinkKey));
  let links = current;
  for (const link of incoming) {
    if (!isPlainObject(link) || !isNonEmptyString(link.target_decision_id)) continue;
    const key = causalLinkKey(link);
    if (seen.has(key)) continue;
    seen.add(key);
    if (links === current) links = [...current];
    links.push({ type: link.type, target_decision_id: link.target_decision_id });
  }
  return links;
}

function causalLinkKey(link: CausalLink): string {
  return `${link.type}\u0000${link.target_decision_id}`;
}

function addFlags(next: DecisionRecord, incoming: RecordFlag[]): void {
  let flags = next.flags;
  for (const flag of incoming) {
    if (!isPlainObject(flag)) continue;
    if (flags.some((existing) => existing.code === flag.code && existing.field === flag.field)) continue;
    if (flags === next.flags) flags = [...next.flags];
    flags.push(flag);
  }
  next.flags = flags;
}

function invalidValue(field: string, detail: string): RecordFlag {
  return { code: 'invalid_value', field, detail };
}

/** Empty strings carry no information, so they never win "first non-empty wins". */
function firstPresent(current: string | null, incoming: string | null | undefined): string | null {
  if (current !== null && current !== '') return current;
  if (incoming !== null && incoming !== undefined && incoming !== '') return incoming;
  return current;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
