import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCanonicalEvents } from '@decision-trace/model';
import { openStore } from '@decision-trace/store';
import { runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';
import { testCollectorConfig } from './helpers/test-config.js';

/**
 * `decision-trace replay` end to end: the real CLI over a real SQLite store and over a running
 * collector's decision API, with policy modules written to a temp dir as a user writes them.
 */
const dir = mkdtempSync(join(tmpdir(), 'dt-replay-'));
const NOW = Date.now();
const MINUTE = 60_000;

let eventNumber = 0;
function decision(spec: {
  id: string;
  type?: string;
  tenant?: string;
  evidence?: Record<string, unknown>;
  outcome?: string;
  minutesAgo: number;
}): Record<string, unknown>[] {
  const base = {
    decision_id: spec.id,
    decision_type: spec.type ?? 'refund.approve.v2',
    tenant_id: spec.tenant ?? 'acme',
    timestamp: new Date(NOW - spec.minutesAgo * MINUTE).toISOString(),
  };
  const events: Record<string, unknown>[] = [
    { ...base, event_id: `ev-${++eventNumber}`, event_type: 'decision.start', actor: { id: 'refund-agent', type: 'agent' }, payload: {} },
  ];
  for (const [key, value] of Object.entries(spec.evidence ?? {})) {
    events.push({ ...base, event_id: `ev-${++eventNumber}`, event_type: 'decision.evidence', payload: { key, value } });
  }
  if (spec.outcome !== undefined) events.push({ ...base, event_id: `ev-${++eventNumber}`, event_type: 'decision.outcome', payload: { status: spec.outcome } });
  return events;
}

// Under the old rules refunds up to 200 were approved; the new policy approves up to 100.
const refunds = [
  decision({ id: 'r-150', evidence: { amount: 150, tier: 'gold' }, outcome: 'approved', minutesAgo: 10 }),
  decision({ id: 'r-180', evidence: { amount: 180, tier: 'silver' }, outcome: 'approved', minutesAgo: 11 }),
  decision({ id: 'r-50', evidence: { amount: 50 }, outcome: 'approved', minutesAgo: 12 }),
  decision({ id: 'r-80', evidence: { amount: 80 }, outcome: 'approved', minutesAgo: 13 }),
  decision({ id: 'r-250', evidence: { amount: 250 }, outcome: 'denied', minutesAgo: 14 }),
  decision({ id: 'r-300', evidence: { amount: 300 }, outcome: 'denied', minutesAgo: 15 }),
  decision({ id: 'r-90', evidence: { amount: 90 }, outcome: 'denied', minutesAgo: 16 }),
  decision({ id: 'r-120', evidence: { amount: 120 }, outcome: 'escalated', minutesAgo: 17 }),
  decision({ id: 'r-60', evidence: { amount: 60 }, minutesAgo: 18 }), // still pending: no outcome
  decision({ id: 'r-no-amount', evidence: { tier: 'gold' }, outcome: 'approved', minutesAgo: 19 }), // the policy throws
  decision({ id: 'r-bad', evidence: { amount: 'bad' }, outcome: 'approved', minutesAgo: 20 }), // the policy returns 42
  // Outside the selection: another tenant, type, version, or older than --since 7d.
  decision({ id: 'g-1', tenant: 'globex', evidence: { amount: 500 }, outcome: 'approved', minutesAgo: 10 }),
  decision({ id: 'l-1', type: 'loan.approve.v1', evidence: { amount: 500 }, outcome: 'approved', minutesAgo: 10 }),
  decision({ id: 'v1-1', type: 'refund.approve.v1', evidence: { amount: 500 }, outcome: 'approved', minutesAgo: 10 }),
  decision({ id: 'old-1', evidence: { amount: 500 }, outcome: 'approved', minutesAgo: 30 * 24 * 60 }),
].flat();

// More than one page (1000) of another type, so the replay has to follow cursors.
const BULK = 1205;
const bulk = Array.from({ length: BULK }, (_, i) =>
  decision({ id: `b-${String(i).padStart(4, '0')}`, type: 'route.pick.v1', evidence: { i }, outcome: i % 2 === 0 ? 'fast' : 'slow', minutesAgo: 60 + i / 60 }),
).flat();

const allEvents = [...refunds, ...bulk];

function policyFile(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

const NEW_LIMIT_POLICY = policyFile(
  'new-limit.mjs',
  `export default async function ({ evidence, record }) {
  if (record.type !== 'refund.approve') throw new Error('wrong type ' + record.type);
  if (!('amount' in evidence)) throw new TypeError('no amount in evidence');
  if (evidence.amount === 'bad') return 42;
  const amount = evidence.amount;
  evidence.amount = 'scribbled'; // the report must still show the stored evidence
  if (amount <= 100) return { outcome: 'approved', evidence: ['amount'] };
  return { outcome: 'denied', reason: 'over the new limit of 100', evidence: ['amount', 'tier'] };
}
`,
);
const ALL_FAST_POLICY = policyFile('all-fast.mjs', `export function decide() { return 'fast'; }\n`);
const COMMONJS_POLICY = policyFile('all-fast.cjs', `module.exports = { decide: () => 'fast' };\n`);

const EXPECTED_TABLE = [
  'old \\ new  approved  denied  (error)  total',
  '---------  --------  ------  -------  -----',
  'approved          2       2        2      6',
  'denied            1       2        0      3',
  'escalated         0       1        0      1',
  '(none)            1       0        0      1',
  'total             4       5        2     11',
].join('\n');

const EXPECTED_TRANSITIONS = [
  { old: 'approved', new: 'approved', count: 2 },
  { old: 'approved', new: 'denied', count: 2 },
  { old: 'denied', new: 'denied', count: 2 },
  { old: 'denied', new: 'approved', count: 1 },
  { old: 'escalated', new: 'denied', count: 1 },
  { old: null, new: 'approved', count: 1 },
];

interface ReplayJson {
  total: number;
  decided: number;
  unchanged: number;
  changed: number;
  errors: number;
  changed_share: number | null;
  transitions: Array<{ old: string | null; new: string; count: number }>;
  errors_by_old: Array<{ old: string | null; count: number }>;
  examples: Array<{ id: string; old: string | null; new: string; reason: string | null; evidence: Record<string, unknown> | null }>;
  error_examples: Array<{ id: string; error: string }>;
}

function assertRefundReplay(result: ReplayJson): void {
  assert.equal(result.total, 11);
  assert.equal(result.decided, 9);
  assert.equal(result.unchanged, 4);
  assert.equal(result.changed, 5);
  assert.equal(result.errors, 2);
  assert.equal(result.changed_share, 5 / 9);
  assert.deepEqual(result.transitions, EXPECTED_TRANSITIONS);
  assert.deepEqual(result.errors_by_old, [{ old: 'approved', count: 2 }]);
  // One example of each kind of change (most frequent first), then a second of the first kind.
  assert.deepEqual(
    result.examples.map((e) => [e.id, e.old, e.new]),
    [
      ['r-150', 'approved', 'denied'],
      ['r-90', 'denied', 'approved'],
      ['r-120', 'escalated', 'denied'],
      ['r-60', null, 'approved'],
      ['r-180', 'approved', 'denied'],
    ],
  );
  assert.deepEqual(result.examples[0], {
    id: 'r-150',
    tenant: 'acme',
    old: 'approved',
    new: 'denied',
    reason: 'over the new limit of 100',
    evidence: { amount: 150, tier: 'gold' },
  });
  assert.deepEqual(result.examples[2].evidence, { amount: 120, tier: null }, 'a named key the decision lacks shows as null');
  assert.deepEqual(
    result.error_examples.map((e) => [e.id, e.error]),
    [
      ['r-no-amount', 'TypeError: no amount in evidence'],
      ['r-bad', 'policy returned number 42; expected an outcome string or { outcome: string, reason?: string, evidence?: string[] }'],
    ],
  );
}

const REFUND_SELECTION = ['--type', 'refund.approve', '--version', 'v2', '--tenant', 'acme', '--since', '7d'];

describe('decision-trace replay over a SQLite store', () => {
  const dbPath = join(dir, 'decisions.db');
  const storage = `sqlite:${dbPath}`;
  before(async () => {
    const parsed = parseCanonicalEvents(allEvents);
    assert.deepEqual(parsed.errors, []);
    const store = await openStore(storage, { thread: 'inline' });
    try {
      await store.append(parsed.events);
    } finally {
      await store.close();
    }
  });

  test('prints the confusion table of old against new outcome, the share changed and examples', async () => {
    const run = await runCli(['replay', '--storage', storage, ...REFUND_SELECTION, '--policy', NEW_LIMIT_POLICY]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^replayed 11 decisions of refund\.approve version v2 tenant acme since \d{4}-/);
    assert.ok(run.stdout.includes(`\n${EXPECTED_TABLE}\n`), run.stdout);
    assert.match(run.stdout, /^changed 5 of 9 decided \(55\.6%\), unchanged 4; policy errors 2$/m);
    assert.match(run.stdout, /^ {2}r-150 \(tenant acme\) {2}approved -> denied: over the new limit of 100\n {4}evidence: amount=150 {2}tier=gold$/m);
    assert.match(run.stdout, /^ {2}r-60 \(tenant acme\) {2}\(none\) -> approved\n {4}evidence: amount=60$/m);
    assert.match(run.stdout, /^ {2}r-no-amount \(tenant acme\) {2}approved: TypeError: no amount in evidence$/m);
    assert.doesNotMatch(run.stderr, /\r|\x1b/, 'no bar drawn when stderr is not a terminal');
  });

  test('--json gives the same numbers; --examples bounds the examples', async () => {
    const run = await runCli(['replay', '--storage', storage, ...REFUND_SELECTION, '--policy', NEW_LIMIT_POLICY, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as ReplayJson & { selection: Record<string, unknown>; source: string };
    assertRefundReplay(result);
    assert.equal(result.source, storage);
    assert.equal(result.selection.type, 'refund.approve');
    assert.ok(Date.parse(result.selection.since as string) <= NOW - 7 * 24 * 60 * MINUTE + 60_000, '--since 7d resolved to an instant');

    const fewer = await runCli(['replay', '--storage', storage, ...REFUND_SELECTION, '--policy', NEW_LIMIT_POLICY, '--json', '--examples', '2']);
    const bounded = JSON.parse(fewer.stdout) as ReplayJson;
    assert.deepEqual(
      bounded.examples.map((e) => e.id),
      ['r-150', 'r-90'],
    );
    assert.equal(bounded.error_examples.length, 2);
  });

  test('pages through more than one page; --limit caps the decisions replayed', async () => {
    const all = await runCli(['replay', '--storage', storage, '--type', 'route.pick', '--policy', ALL_FAST_POLICY, '--json']);
    assert.equal(all.code, 0, all.stderr);
    const result = JSON.parse(all.stdout) as ReplayJson;
    assert.equal(result.total, BULK);
    assert.deepEqual(result.transitions, [
      { old: 'fast', new: 'fast', count: 603 },
      { old: 'slow', new: 'fast', count: 602 },
    ]);

    const capped = await runCli(['replay', '--storage', storage, '--type', 'route.pick', '--policy', COMMONJS_POLICY, '--limit', '1100', '--json']);
    assert.equal(capped.code, 0, capped.stderr);
    assert.equal((JSON.parse(capped.stdout) as ReplayJson).total, 1100, 'a CommonJS module exporting decide works too');
  });

  test('usage errors exit 2 with a clear message', async () => {
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['--type', 'refund.approve', '--policy', join(dir, 'missing.mjs')], message: /cannot read policy .*missing\.mjs: no such file/ },
      {
        args: ['--type', 'refund.approve', '--policy', policyFile('no-function.mjs', 'export const limit = 100;\n')],
        message: /has no policy function: export default \(or export `decide`\) a function .*; it exports limit/,
      },
      {
        args: ['--type', 'refund.approve', '--policy', policyFile('broken.mjs', 'export default function ( {\n')],
        message: /cannot load policy .*broken\.mjs: /,
      },
      { args: ['--policy', ALL_FAST_POLICY], message: /required option '--type <type>'/ },
      {
        args: ['--type', 'refund.approve', '--policy', ALL_FAST_POLICY, '--since', 'last week'],
        message: /--since must be an RFC 3339 time .* got "last week"/,
      },
      { args: ['--type', 'refund.approve', '--policy', ALL_FAST_POLICY, '--limit', '0'], message: /--limit must be a positive integer, got "0"/ },
      {
        args: ['--type', 'refund.approve', '--policy', ALL_FAST_POLICY, '--endpoint', 'http://127.0.0.1:1'],
        message: /give --storage <url> \(read the store\) or --endpoint <url> \(read the decision API\), not both/,
      },
    ];
    for (const { args, message } of cases) {
      const run = await runCli(['replay', '--storage', storage, ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    }
    const typo = await runCli(['replay', '--storage', `sqlite:${join(dir, 'typo.db')}`, '--type', 'x', '--policy', ALL_FAST_POLICY]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /no store at sqlite:.*typo\.db: .* does not exist/);
  });

  test('a policy that never answers counts as an error after --timeout, and the run goes on', async () => {
    const hanging = policyFile('hanging.mjs', `export default ({ evidence }) => (evidence.i % 100 === 0 ? new Promise(() => {}) : 'fast');\n`);
    const run = await runCli(['replay', '--storage', storage, '--type', 'route.pick', '--limit', '200', '--policy', hanging, '--timeout', '50ms', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as ReplayJson;
    assert.equal(result.total, 200);
    assert.equal(result.errors, 2);
    assert.match(result.error_examples[0].error, /policy did not answer within 50 ms/);
  });
});

describe('decision-trace replay through the decision API', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
    const res = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(allEvents),
    });
    assert.equal(res.status, 200, await res.text());
  });
  after(async () => {
    await collector?.stop();
  });

  test('the same confusion table as from the store, following next_cursor across pages', async () => {
    const run = await runCli(['replay', '--endpoint', collector.apiUrl, ...REFUND_SELECTION, '--policy', NEW_LIMIT_POLICY]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.includes(`\n${EXPECTED_TABLE}\n`), run.stdout);
    assert.match(run.stdout, /^ {2}from http:\/\/127\.0\.0\.1:\d+$/m);

    const json = await runCli(['replay', '--endpoint', collector.apiUrl, ...REFUND_SELECTION, '--policy', NEW_LIMIT_POLICY, '--json']);
    assertRefundReplay(JSON.parse(json.stdout) as ReplayJson);

    const bulkRun = await runCli(['replay', '--type', 'route.pick', '--policy', ALL_FAST_POLICY, '--json'], {
      env: { DECISION_TRACE_API: collector.apiUrl },
    });
    assert.equal(bulkRun.code, 0, bulkRun.stderr);
    assert.equal((JSON.parse(bulkRun.stdout) as ReplayJson).total, BULK, 'the default endpoint is $DECISION_TRACE_API');
  });

  test('an unreachable API exits 1 naming the endpoint', async () => {
    const run = await runCli(['replay', '--endpoint', 'http://127.0.0.1:1', '--type', 'x', '--policy', ALL_FAST_POLICY]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /cannot reach the decision API at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('decision-trace replay against an API that asks for keys', () => {
  const READ_KEY = 'replay-reader-key-0123456789';
  const WRITE_KEY = 'replay-writer-key-0123456789';
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector({
      config: (ports) =>
        testCollectorConfig(ports, {
          extensions: {
            decision_api: {
              auth: {
                api_keys: [
                  { name: 'reader', key: READ_KEY, tenant: 'acme', role: 'read' },
                  { name: 'writer', key: WRITE_KEY, tenant: 'acme', role: 'write' },
                ],
              },
            },
          },
        }),
    });
    const res = await fetch(`${collector.apiUrl}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}` },
      body: JSON.stringify(refunds.filter((event) => event.tenant_id === 'acme')),
    });
    assert.equal(res.status, 200, await res.text());
  });
  after(async () => {
    await collector?.stop();
  });

  test('--api-key or $DT_API_KEY is sent as a bearer token; without one the API refuses (exit 1)', async () => {
    const args = ['replay', '--endpoint', collector.apiUrl, ...REFUND_SELECTION, '--policy', NEW_LIMIT_POLICY, '--json'];
    const refused = await runCli(args, { env: { DT_API_KEY: '' } });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /401/);

    const withOption = await runCli([...args, '--api-key', READ_KEY], { env: { DT_API_KEY: '' } });
    assert.equal(withOption.code, 0, withOption.stderr);
    assertRefundReplay(JSON.parse(withOption.stdout) as ReplayJson);

    const withEnv = await runCli(args, { env: { DT_API_KEY: READ_KEY } });
    assert.equal(withEnv.code, 0, withEnv.stderr);
    assert.equal((JSON.parse(withEnv.stdout) as ReplayJson).total, 11);
  });
});
