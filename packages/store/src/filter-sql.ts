import type { NormalizedDecisionFilter } from './decision-query.js';
import type { EvidenceMatch } from './store.js';

/** What differs between the backends' SQL for the same filter. */
export interface FilterDialect {
  /** Adds a parameter and returns its placeholder (`?` or `$n`). */
  bind(value: unknown): string;
  /** A condition: the record's evidence[match.key] equals match.value (see EvidenceMatch). */
  evidence(match: EvidenceMatch, bind: (value: unknown) => string): string;
  /**
   * A condition: the decision belongs to the trace (default: its trace_id column equals it). A
   * dialect that has one looks the trace's decisions up itself, and the tenant condition beside
   * it is written so that it cannot choose the tenant's indexes instead (`+tenant_id`: a scan of
   * all the tenant's decisions, which is what SQLite picks without statistics).
   */
  trace?(traceId: string, bind: (value: unknown) => string): string;
}

/**
 * The conditions of a filter on the `decisions` table (all AND-ed), in the order their
 * parameters were bound. has_violations is written as a literal so that the partial index on
 * violating records (migration 5) can serve it.
 */
export function filterConditions(filter: NormalizedDecisionFilter, dialect: FilterDialect): string[] {
  const bind = (value: unknown) => dialect.bind(value);
  const conditions: string[] = [];
  const byTrace = filter.traceId !== null && dialect.trace !== undefined;
  if (filter.tenant !== null) conditions.push(`${byTrace ? '+' : ''}tenant_id = ${bind(filter.tenant)}`);
  if (filter.type !== null) conditions.push(`type = ${bind(filter.type)}`);
  for (const version of filter.versions) conditions.push(`version = ${bind(version)}`);
  if (filter.outcome !== null) conditions.push(`outcome = ${bind(filter.outcome)}`);
  if (filter.traceId !== null) conditions.push(dialect.trace?.(filter.traceId, bind) ?? `trace_id = ${bind(filter.traceId)}`);
  if (filter.sinceMicros !== null) conditions.push(`sort_time >= ${bind(filter.sinceMicros)}`);
  if (filter.untilMicros !== null) conditions.push(`sort_time < ${bind(filter.untilMicros)}`);
  if (filter.actorId !== null) conditions.push(`actor_id = ${bind(filter.actorId)}`);
  if (filter.actorType !== null) conditions.push(`actor_type = ${bind(filter.actorType)}`);
  if (filter.service !== null) conditions.push(`service_name = ${bind(filter.service)}`);
  if (filter.status !== null) conditions.push(`status = ${bind(filter.status)}`);
  if (filter.minConfidence !== null) conditions.push(`confidence >= ${bind(filter.minConfidence)}`);
  if (filter.maxConfidence !== null) conditions.push(`confidence <= ${bind(filter.maxConfidence)}`);
  if (filter.hasViolations !== null) conditions.push(`has_violations = ${filter.hasViolations ? 1 : 0}`);
  for (const match of filter.evidence) conditions.push(dialect.evidence(match, bind));
  return conditions;
}

export function whereClause(conditions: readonly string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/**
 * SQLite has no index on decisions.trace_id (migration 14): a trace's decisions are found through
 * trace_members, each then by its primary key and rowid.
 */
export function sqliteTraceCondition(traceId: string, bind: (value: unknown) => string): string {
  return `trace_id = ${bind(traceId)} AND rowid IN (SELECT d.rowid FROM trace_members m CROSS JOIN decisions d ON d.tenant_id = m.tenant_id AND d.id = m.member
    WHERE m.trace_id = ${bind(traceId)} AND m.member >= '')`;
}

/** Evidence values compare as text: strings as they are, numbers and booleans by their JSON. */
export function sqliteEvidenceCondition(match: EvidenceMatch, bind: (value: unknown) => string): string {
  // A JSON path label in double quotes takes any key, dots and quotes included (JSON escapes).
  const path = `$.evidence.${JSON.stringify(match.key)}`;
  return `(CASE json_type(record, ${bind(path)}) WHEN 'text' THEN record ->> ${bind(path)}
    WHEN 'integer' THEN record -> ${bind(path)} WHEN 'real' THEN record -> ${bind(path)}
    WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' END) = ${bind(match.value)}`;
}

export function postgresEvidenceCondition(match: EvidenceMatch, bind: (value: unknown) => string): string {
  return `(SELECT CASE json_typeof(v) WHEN 'string' THEN v #>> '{}' WHEN 'number' THEN v::text WHEN 'boolean' THEN v::text END
    FROM (SELECT record::json -> 'evidence' -> ${bind(match.key)}) AS evidence_value(v)) = ${bind(match.value)}`;
}
