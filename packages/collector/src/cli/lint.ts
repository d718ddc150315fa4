import { readFile } from 'node:fs/promises';
import {
  applyEvent,
  checkDecisionRecord,
  parseCanonicalEvents,
  parseJsonExact,
  stringifyJsonExact,
  UNKNOWN_TYPE_MODES,
  type ContractViolation,
  type DecisionRecord,
  type DecisionRegistry,
  type UnknownTypeMode,
} from '@decision-trace/model';
import { loadDecisionRegistry, RegistryFileError } from '../shared/decision-registry-file.js';
import type { StatsReader } from '@decision-trace/store';
import { CommandProgress } from './command-progress.js';
import { MissingStoreError, openExistingStore } from './existing-store.js';

export interface LintOptions {
  registry?: string;
  input?: string;
  storage?: string;
  tenant?: string;
  unknownTypes?: string;
  json?: boolean;
}

export interface LintedDecision {
  id: string;
  tenant: string;
  type: string | null;
  version: string | null;
  status: string;
  violations: ContractViolation[];
}

export interface LintResult {
  checked: number;
  /** Records without a type: no contract applies to them. */
  untyped: number;
  failing: LintedDecision[];
}

/** A problem with how lint was called or what it was given (exit 2), not with the decisions. */
class UsageError extends Error {}

const EXIT_CLEAN = 0;
const EXIT_VIOLATIONS = 1;
const EXIT_USAGE = 2;
const PAGE_SIZE = 1000;

/**
 * `decision-trace lint`: checks decisions against a decision registry, for CI. The contracts
 * are checked afresh on whole records (including `expected_children`, which needs the other
 * records), whatever violations the collector recorded with another registry.
 * Exit codes: 0 every decision follows its contract, 1 some do not, 2 usage or input errors.
 */
export async function lintCommand(options: LintOptions): Promise<void> {
  try {
    const unknownTypes = unknownTypeMode(options.unknownTypes);
    if (options.registry === undefined) throw new UsageError('--registry <file> is required');
    if ((options.input === undefined) === (options.storage === undefined)) {
      throw new UsageError('give exactly one of --input <file.jsonl> and --storage <url>');
    }
    const registry = await readRegistry(options.registry);
    const records = options.input !== undefined ? await recordsFromJsonl(options.input) : await recordsFromStore(options.storage!);
    const selected = options.tenant === undefined ? records : records.filter((record) => record.tenant === options.tenant);
    const result = lintRecords(registry, selected, unknownTypes);
    process.stdout.write(options.json ? `${stringifyJsonExact(result)}\n` : renderLintReport(result, options.input ?? options.storage!));
    process.exitCode = result.failing.length === 0 ? EXIT_CLEAN : EXIT_VIOLATIONS;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`decision-trace lint: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  }
}

/** Checks every record; a record's children are the records naming it as parent (same tenant). */
export function lintRecords(registry: DecisionRegistry, records: DecisionRecord[], unknownTypes: UnknownTypeMode): LintResult {
  const children = new Map<string, DecisionRecord[]>();
  for (const record of records) {
    if (record.parent_decision_id === null) continue;
    const key = recordKey(record.tenant, record.parent_decision_id);
    const list = children.get(key);
    if (list === undefined) children.set(key, [record]);
    else list.push(record);
  }
  const result: LintResult = { checked: 0, untyped: 0, failing: [] };
  for (const record of records) {
    if (record.type === null) {
      result.untyped++;
      continue;
    }
    result.checked++;
    const violations = checkDecisionRecord(registry, record, {
      unknownTypes,
      children: children.get(recordKey(record.tenant, record.id)) ?? [],
    });
    if (violations.length === 0) continue;
    result.failing.push({
      id: record.id,
      tenant: record.tenant,
      type: record.type,
      version: record.version,
      status: record.status,
      violations,
    });
  }
  return result;
}

export function renderLintReport(result: LintResult, source: string): string {
  const lines: string[] = [];
  const untyped = result.untyped > 0 ? ` (${result.untyped} without a type, not checked)` : '';
  lines.push(`checked ${result.checked} decision${plural(result.checked)} from ${source}${untyped}`);
  for (const decision of result.failing) {
    const version = decision.version === null ? '' : ` ${decision.version}`;
    lines.push('', `FAIL ${decision.type}${version}  ${decision.id}  (tenant ${decision.tenant}, ${decision.status})`);
    for (const violation of decision.violations) lines.push(`  - ${violation.rule}: ${violation.detail}`);
  }
  lines.push('');
  if (result.failing.length === 0) {
    lines.push(`ok: every decision follows its contract`);
  } else {
    const count = result.failing.reduce((sum, decision) => sum + decision.violations.length, 0);
    const failing = result.failing.length;
    const verb = failing === 1 ? 'breaks its contract' : 'break their contract';
    lines.push(`${failing} decision${plural(failing)} ${verb} (${count} violation${plural(count)})`);
  }
  return `${lines.join('\n')}\n`;
}

function unknownTypeMode(value: string | undefined): UnknownTypeMode {
  if (value === undefined) return 'flag';
  if ((UNKNOWN_TYPE_MODES as readonly string[]).includes(value)) return value as UnknownTypeMode;
  throw new UsageError(`--unknown-types must be one of ${UNKNOWN_TYPE_MODES.join(', ')}, got "${value}"`);
}

async function readRegistry(file: string): Promise<DecisionRegistry> {
  try {
    return await loadDecisionRegistry(file);
  } catch (error) {
    if (error instanceof RegistryFileError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * A JSONL file of canonical events (one event, or one array of events, per line) folded into
 * records in file order, as the store would; a repeated event id changes nothing.
 */
async function recordsFromJsonl(file: string): Promise<DecisionRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  const seenEvents = new Set<string>();
  const records = new Map<string, DecisionRecord>();
  const lines = text.split('\n');
  // Folding a big file's events is the long part of its lint: progress on stderr, as for a store.
  const progress = new CommandProgress(process.stderr, { label: { activity: 'reading', command: 'lint', unit: 'lines' } });
  progress.setTotal(lines.length);
  lines.forEach((line, index) => {
    progress.advance();
    const lineNumber = index + 1;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = parseJsonExact(line);
    } catch {
      problems.push(`line ${lineNumber}: not JSON`);
      return;
    }
    const parsed = parseCanonicalEvents(Array.isArray(value) ? value : [value]);
    for (const error of parsed.errors) {
      const field = error.field === '' ? '' : `${error.field}: `;
      problems.push(`line ${lineNumber}: ${field}${error.message}`);
    }
    for (const event of parsed.events) {
      const eventKey = recordKey(event.tenant_id, event.event_id);
      if (seenEvents.has(eventKey)) continue;
      seenEvents.add(eventKey);
      const key = recordKey(event.tenant_id, event.decision_id);
      records.set(key, applyEvent(records.get(key), event));
    }
  });
  progress.finish();
  if (problems.length > 0) throw new UsageError(`${file} is not a JSONL file of canonical decision events:\n  ${problems.join('\n  ')}`);
  return [...records.values()];
}

async function recordsFromStore(url: string): Promise<DecisionRecord[]> {
  let store;
  try {
    store = await openExistingStore(url, { thread: 'inline' });
  } catch (error) {
    if (error instanceof MissingStoreError) throw new UsageError(error.message);
    throw new UsageError(`cannot open ${url}: ${(error as Error).message}`);
  }
  // Reading the store is the long part of a big lint: its progress goes to stderr.
  const progress = new CommandProgress(process.stderr, { label: { activity: 'reading', command: 'lint', unit: 'decisions' } });
  try {
    progress.setTotal(await decisionCount(store));
    const records: DecisionRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.queryDecisions({ limit: PAGE_SIZE, cursor });
      records.push(...page.decisions);
      progress.advance(page.decisions.length);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return records;
  } finally {
    progress.finish();
    await store.close();
  }
}

/** Only sizes the progress bar: without a count the progress shows a running count. */
async function decisionCount(store: Pick<StatsReader, 'outcomeCounts'>): Promise<number | null> {
  try {
    const counts = await store.outcomeCounts({});
    return counts.reduce((sum, c) => sum + c.count, 0);
  } catch {
    return null;
  }
}

function recordKey(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}
