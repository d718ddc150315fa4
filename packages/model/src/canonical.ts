import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stringifyJsonExact } from './exact-json.js';
import { utcInstantText } from './instant.js';
import {
  CANONICAL_EVENT_TYPES,
  EXTENSION_EVENT_TYPES,
  LEGACY_EVENT_TYPE_ALIASES,
  schemaEventType,
  type CanonicalEventType,
  CAUSAL_LINK_TYPES,
  DEFAULT_TENANT,
  SCHEMA_VERSION,
  type Actor,
  type DecisionEvent,
} from './event.js';

/**
 * Validation of canonical decision events (Decision Trace schema 1.0, docs/architecture.md §2 D) as the
 * Python and Java SDKs post them to `POST /v1/events`.
 *
 * Every problem of every event is reported (index, dotted field path, message) so a client
 * can fix a whole batch at once; events without problems are returned as well and the API
 * decides whether a partly invalid batch is accepted. Optional fields may be absent or null
 * (SDKs serialise unset fields as null). Unknown fields are ignored, so later 1.x minor
 * versions that add fields are accepted.
 */
export interface CanonicalEventError {
  /** Position in the posted array; -1 when the body itself is wrong. */
  index: number;
  /** Dotted path inside the event (`payload.key`, `causal_links.0.type`); '' for the whole event or body. */
  field: string;
  message: string;
}

export interface ParseCanonicalEventsOptions {
  /** The authenticated tenant; overrides the events' tenant_id. */
  tenant?: string;
}

export interface ParseCanonicalEventsResult {
  events: DecisionEvent[];
  errors: CanonicalEventError[];
}

const REQUIRED = 'required';

function requiredText() {
  return z.string({ error: (issue) => (issue.input === undefined ? REQUIRED : 'must be a string') }).min(1, 'must not be empty');
}

const optionalText = z.string({ error: 'must be a string or null' }).nullish();
const optionalNonEmptyText = z.string({ error: 'must be a string or null' }).min(1, 'must not be empty').nullish();

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => (issue.input === undefined ? REQUIRED : `must be one of ${values.join(', ')}`),
  });
}

const rfc3339Timestamp = z.iso
  .datetime({
    offset: true,
    abort: true,
    error: (issue) => (issue.input === undefined ? REQUIRED : 'must be an RFC 3339 date-time with a time zone'),
  })
  .refine((text) => !Number.isNaN(Date.parse(text)), 'is not a valid date');

const actorSchema = z
  .object({ id: optionalText, type: optionalText, version: optionalText, org: optionalText }, { error: 'must be an object or null' })
  .nullish();

const causalLinkSchema = z.object({ type: oneOf(CAUSAL_LINK_TYPES), target_decision_id: requiredText() }, { error: 'must be an object' });

const canonicalEventSchema = z.object({
  decision_id: requiredText(),
  // Schema 1.0's names; the unprefixed names of earlier releases are accepted and translated.
  event_type: z
    .enum([...CANONICAL_EVENT_TYPES, ...EXTENSION_EVENT_TYPES, ...Object.keys(LEGACY_EVENT_TYPE_ALIASES)], {
      error: (issue) => (issue.input === undefined ? REQUIRED : `must be one of ${[...CANONICAL_EVENT_TYPES, ...EXTENSION_EVENT_TYPES].join(', ')}`),
    })
    .transform((name) => schemaEventType(name) as (typeof CANONICAL_EVENT_TYPES)[number] | (typeof EXTENSION_EVENT_TYPES)[number]),
  timestamp: rfc3339Timestamp,
  event_id: optionalNonEmptyText,
  tenant_id: optionalNonEmptyText,
  environment: optionalText,
  schema_version: z
    .string({ error: 'must be a string or null' })
    .refine((version) => version.startsWith('1.'), 'must be a 1.x schema version')
    .nullish(),
  trace_id: optionalText,
  parent_decision_id: optionalText,
  decision_type: optionalText,
  actor: actorSchema,
  payload: z.record(z.string(), z.unknown(), { error: 'must be an object or null' }).nullish(),
  causal_links: z.array(causalLinkSchema, { error: 'must be an array or null' }).nullish(),
  // Beyond schema 1.0, sent by senders that convert spans (the in-process SDK): where the event
  // was observed and what the conversion noticed.
  span_id: optionalText,
  service_name: optionalText,
  flags: z
    .array(z.object({ code: requiredText(), field: z.string({ error: 'must be a string' }), detail: z.string({ error: 'must be a string' }) }), {
      error: 'must be an array or null',
    })
    .nullish(),
  sampling: z
    .object(
      {
        trace_sampled: z.boolean({ error: 'must be a boolean' }),
        adjusted_count: z.number({ error: 'must be a number or null' }).positive('must be positive').nullish(),
        policy: z.string({ error: 'must be a string or null' }).nullish(),
      },
      { error: 'must be an object or null' },
    )
    .nullish(),
  violations: z.array(z.object({ rule: requiredText(), detail: z.string({ error: 'must be a string' }) }), { error: 'must be an array or null' }).nullish(),
  redactions: z.array(z.object({ field: requiredText(), action: requiredText() }), { error: 'must be an array or null' }).nullish(),
});

type CanonicalEventInput = z.output<typeof canonicalEventSchema>;

const presentValue = z.unknown().refine((value) => value !== undefined, REQUIRED);

/** What each event type's payload must hold, beyond being an object. */
const payloadSchemas: Partial<Record<CanonicalEventType, z.ZodType>> = {
  'decision.evidence': z.object({ key: requiredText() }),
  'decision.policy_check': z.object({ policy: requiredText(), result: presentValue }),
  'decision.outcome': z.object({ status: requiredText() }),
  // Schema 1.0 leaves an error's payload free (the SDKs write `message` and `error_type` when
  // they catch an exception, a caller's own `ctx.error({...})` may say anything): a message,
  // when given, is text.
  'decision.error': z.object({ message: z.string({ error: 'must be a string' }).optional() }),
};

export function parseCanonicalEvents(body: unknown, options: ParseCanonicalEventsOptions = {}): ParseCanonicalEventsResult {
  if (!Array.isArray(body)) {
    return { events: [], errors: [{ index: -1, field: '', message: 'body must be a JSON array of decision events' }] };
  }
  const events: DecisionEvent[] = [];
  const errors: CanonicalEventError[] = [];
  const authenticatedTenant = options.tenant ? options.tenant : null;
  body.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      errors.push({ index, field: '', message: 'event must be an object' });
      return;
    }
    const errorCountBefore = errors.length;
    const parsed = canonicalEventSchema.safeParse(item);
    if (!parsed.success) collectIssues(parsed.error.issues, index, '', errors);
    collectPayloadIssues(item as Record<string, unknown>, index, errors);
    if (parsed.success && errors.length === errorCountBefore) {
      events.push(toDecisionEvent(parsed.data, authenticatedTenant));
    }
  });
  return { events, errors };
}

/** Payload rules depend on event_type, so they run even when other fields are wrong. */
function collectPayloadIssues(item: Record<string, unknown>, index: number, errors: CanonicalEventError[]): void {
  const eventType = item.event_type;
  if (typeof eventType !== 'string') return;
  const payloadSchema = payloadSchemas[schemaEventType(eventType) as keyof typeof payloadSchemas];
  const payload = item.payload ?? {};
  if (payloadSchema === undefined || typeof payload !== 'object' || Array.isArray(payload)) return;
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) collectIssues(parsed.error.issues, index, 'payload', errors);
}

function collectIssues(issues: readonly z.core.$ZodIssue[], index: number, prefix: string, errors: CanonicalEventError[]): void {
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (prefix !== '') path.unshift(prefix);
    errors.push({ index, field: path.join('.'), message: issue.message });
  }
}

function toDecisionEvent(input: CanonicalEventInput, authenticatedTenant: string | null): DecisionEvent {
  const actor: Actor | null = input.actor
    ? {
        id: input.actor.id ?? null,
        type: input.actor.type ?? null,
        version: input.actor.version ?? null,
        org: input.actor.org ?? null,
      }
    : null;
  const content = {
    schema_version: input.schema_version ?? SCHEMA_VERSION,
    event_type: input.event_type,
    decision_id: input.decision_id,
    decision_type: input.decision_type ?? null,
    parent_decision_id: input.parent_decision_id ?? null,
    trace_id: input.trace_id ?? null,
    span_id: input.span_id ?? null,
    service_name: input.service_name ?? null,
    environment: input.environment ?? null,
    timestamp: canonicalEventTimestamp(input.timestamp),
    actor,
    payload: (input.payload ?? {}) as Record<string, unknown>,
    causal_links: (input.causal_links ?? []).map((link) => ({
      type: link.type,
      target_decision_id: link.target_decision_id,
    })),
  };
  return {
    schema_version: content.schema_version,
    // The id reads the instant in one spelling (UTC, exact), so `+02:00` and `Z` of one instant
    // are one event; for millisecond times that spelling is the one ids always used.
    event_id: input.event_id ?? contentEventId({ ...content, event_type: idSpellingOf(content.event_type), timestamp: utcInstantText(content.timestamp) }),
    event_type: content.event_type,
    decision_id: content.decision_id,
    decision_type: content.decision_type,
    parent_decision_id: content.parent_decision_id,
    trace_id: content.trace_id,
    span_id: content.span_id,
    tenant_id: authenticatedTenant ?? input.tenant_id ?? DEFAULT_TENANT,
    environment: content.environment,
    timestamp: content.timestamp,
    actor: content.actor,
    payload: content.payload,
    causal_links: content.causal_links,
    source: 'api.events',
    ...(content.service_name !== null ? { service_name: content.service_name } : {}),
    ...(input.flags ? { flags: input.flags.map((f) => ({ code: f.code, field: f.field, detail: f.detail })) } : {}),
    ...(input.sampling ? { sampling: input.sampling } : {}),
    ...(input.violations ? { violations: input.violations.map((v) => ({ rule: v.rule, detail: v.detail })) } : {}),
    ...(input.redactions ? { redactions: input.redactions.map((r) => ({ field: r.field, action: r.action })) } : {}),
  };
}

/**
 * Content ids are derived from the unprefixed spelling earlier releases stored, so an event
 * posted without an id is recognised as a repeat whichever spelling it uses, and across the
 * upgrade that introduced schema 1.0's names.
 */
const ID_SPELLING: ReadonlyMap<string, string> = new Map(Object.entries(LEGACY_EVENT_TYPE_ALIASES).map(([legacy, schemaName]) => [schemaName, legacy]));

function idSpellingOf(eventType: string): string {
  return ID_SPELLING.get(eventType) ?? eventType;
}

/**
 * The timestamp an event is stored with: the text as given, with all its fraction digits (µs,
 * ns) and its offset, so the ledger keeps what the client said (lossless). Orderings and time
 * filters compare instants (instant.ts), never this text. The SDK projections' events
 * (from-dt-spans.ts) use it too, so both paths store the same time.
 */
export function canonicalEventTimestamp(text: string): string {
  return text;
}

/**
 * An event posted without an id gets one derived from what it says (the tenant aside, which
 * scopes ids anyway), so posting the same event twice is recognised as a repeat.
 */
function contentEventId(content: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

/** JSON with object keys sorted at every level: equal content, equal text. */
export function canonicalJson(value: unknown): string {
  return stringifyJsonExact(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
  return sorted;
}
