import { stringifyJsonExact, type DecisionRecord } from '@decision-trace/model';
import { parseDuration } from '../config/values.js';
import { parseTimeBound } from '../shared/time-bound.js';
import { resolveApiKey } from './api-client.js';
import { ApiDecisionSource } from './replay/api-decision-source.js';
import { OutcomeComparison } from './replay/confusion.js';
import type { DecisionSource, ReplaySelection } from './replay/decision-source.js';
import { loadPolicy, PolicyModuleError, type ReplayPolicy } from './replay/policy-module.js';
import { verdictOf, verdictOfError, type PolicyVerdict } from './replay/policy-verdict.js';
import { renderReplayReport } from './replay/replay-report.js';
import { MissingStoreError } from './existing-store.js';
import { CommandProgress } from './command-progress.js';
import { StoreDecisionSource } from './replay/store-decision-source.js';

export interface ReplayOptions {
  type?: string;
  version?: string;
  tenant?: string;
  since?: string;
  until?: string;
  limit?: string;
  policy?: string;
  storage?: string;
  endpoint?: string;
  apiKey?: string;
  examples?: string;
  timeout?: string;
  json?: boolean;
}

/** How replay was called or what it was given is wrong (exit 2); the decisions are not at fault. */
class UsageError extends Error {}

const EXIT_USAGE = 2;
const DEFAULT_EXAMPLES = 5;
const DEFAULT_POLICY_TIMEOUT = '30s';

/**
 * `decision-trace replay`: runs a user's policy function over stored decisions' evidence and
 * reports how the outcomes would change: a confusion table of old against new outcome, the share
 * changed and examples. A policy that fails on one decision counts in the error column; the run
 * goes on. Exit 0 when the replay ran (whatever changed), 1 when the source failed, 2 on usage errors.
 */
export async function replayCommand(options: ReplayOptions, defaultEndpoint: string): Promise<void> {
  let source: DecisionSource | undefined;
  try {
    const { selection, examples, timeoutMs } = readOptions(options);
    const policy = await readPolicy(options.policy!);
    source = await openSource(options, defaultEndpoint);
    const progress = new CommandProgress(process.stderr);
    const comparison = new OutcomeComparison(examples);
    progress.setTotal(await countOrNull(source, selection));
    try {
      for await (const page of source.pages(selection)) {
        for (const record of page) {
          comparison.add({
            id: record.id,
            tenant: record.tenant,
            oldOutcome: record.outcome,
            verdict: await decide(policy, record, timeoutMs),
            evidence: record.evidence,
          });
          progress.advance();
        }
      }
    } finally {
      progress.finish();
    }
    const result = comparison.result();
    if (options.json) {
      process.stdout.write(`${stringifyJsonExact({ selection, source: source.description, policy: options.policy, ...result })}\n`);
    } else {
      process.stdout.write(renderReplayReport(result, { selection: describeSelection(selection), source: source.description, policy: options.policy! }));
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`decision-trace replay: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  } finally {
    await source?.close();
  }
}

function readOptions(options: ReplayOptions): { selection: ReplaySelection; examples: number; timeoutMs: number } {
  if (options.type === undefined || options.type === '') throw new UsageError('--type <type> is required');
  if (options.policy === undefined || options.policy === '') throw new UsageError('--policy <file> is required');
  if (options.storage !== undefined && options.endpoint !== undefined) {
    throw new UsageError('give --storage <url> (read the store) or --endpoint <url> (read the decision API), not both');
  }
  // Resolved once, so every page of a `--since 7d` replay uses the same window.
  const now = Date.now();
  const selection: ReplaySelection = {
    type: options.type,
    version: options.version,
    tenant: options.tenant,
    since: timeBound('--since', options.since, now),
    until: timeBound('--until', options.until, now),
    limit: options.limit === undefined ? undefined : positiveInteger('--limit', options.limit),
  };
  const examples = options.examples === undefined ? DEFAULT_EXAMPLES : nonNegativeInteger('--examples', options.examples);
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_POLICY_TIMEOUT);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new UsageError(`--timeout must be a duration like 5s, got "${options.timeout}"`);
  return { selection, examples, timeoutMs };
}

async function readPolicy(file: string): Promise<ReplayPolicy> {
  try {
    return await loadPolicy(file);
  } catch (error) {
    if (error instanceof PolicyModuleError) throw new UsageError(error.message);
    throw error;
  }
}

async function openSource(options: ReplayOptions, defaultEndpoint: string): Promise<DecisionSource> {
  if (options.storage === undefined) return new ApiDecisionSource(options.endpoint ?? defaultEndpoint, resolveApiKey(options.apiKey));
  const url = options.storage;
  try {
    return await StoreDecisionSource.open(url);
  } catch (error) {
    // A mistyped SQLite path is refused before opening it, which would create an empty store.
    if (error instanceof MissingStoreError) throw new UsageError(error.message);
    throw new UsageError(`cannot open ${url}: ${(error as Error).message}`);
  }
}

/** The count only sizes the progress bar: a source that cannot count still replays. */
async function countOrNull(source: DecisionSource, selection: ReplaySelection): Promise<number | null> {
  try {
    return await source.count(selection);
  } catch {
    return null;
  }
}

/**
 * The policy sees a copy of the record: whatever it changes, the report shows the evidence as
 * stored. A policy that never answers counts as an error after the timeout.
 */
async function decide(policy: ReplayPolicy, record: DecisionRecord, timeoutMs: number): Promise<PolicyVerdict> {
  const view = structuredClone(record);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<PolicyVerdict>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'error', message: `policy did not answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const answered = (async () => verdictOf(await policy({ evidence: view.evidence, record: view })))().catch(verdictOfError);
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function timeBound(name: string, value: string | undefined, now: number): string | undefined {
  if (value === undefined) return undefined;
  const at = parseTimeBound(value, now);
  if (at === undefined) throw new UsageError(`${name} must be an RFC 3339 time (2026-01-02T15:04:05Z) or a duration ago (1h, 7d), got "${value}"`);
  return at;
}

function positiveInteger(name: string, value: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < 1) throw new UsageError(`${name} must be a positive integer, got "${value}"`);
  return number;
}

function nonNegativeInteger(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function describeSelection(selection: ReplaySelection): string {
  const parts = [selection.type];
  if (selection.version !== undefined) parts.push(`version ${selection.version}`);
  if (selection.tenant !== undefined) parts.push(`tenant ${selection.tenant}`);
  if (selection.since !== undefined) parts.push(`since ${selection.since}`);
  if (selection.until !== undefined) parts.push(`until ${selection.until}`);
  if (selection.limit !== undefined) parts.push(`(at most ${selection.limit})`);
  return parts.join(' ');
}
