import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCanonicalEvents } from '@decision-trace/model';
import { openStore } from '@decision-trace/store';
import { REPO_ROOT, runCli } from './helpers/collector-process.js';

const EXAMPLE_REGISTRY = join(REPO_ROOT, 'examples/decision-registry.yaml');
const dir = mkdtempSync(join(tmpdir(), 'dt-lint-'));

interface EventSpec {
  decision: string;
  type: string;
  event: string;
  payload?: Record<string, unknown>;
  parent?: string;
  actorType?: string;
  minute?: number;
}

let eventNumber = 0;
function canonical(spec: EventSpec): Record<string, unknown> {
  eventNumber++;
  return {
    event_id: `ev-${eventNumber}`,
    decision_id: spec.decision,
    parent_decision_id: spec.parent ?? null,
    decision_type: spec.type,
    event_type: spec.event,
    timestamp: `2025-03-01T10:${String(spec.minute ?? eventNumber % 60).padStart(2, '0')}:00Z`,
    tenant_id: 'acme',
    actor: spec.actorType ? { id: 'a-1', type: spec.actorType } : null,
    payload: spec.payload ?? {},
  };
}

/** A refund decision that follows the example registry, with its notification child. */
function compliantRefund(id: string): Record<string, unknown>[] {
  return [
    canonical({ decision: id, type: 'refund.approve.v2', event: 'decision.start', actorType: 'agent' }),
    canonical({ decision: id, type: 'refund.approve.v2', event: 'evidence', payload: { key: 'amount', value: 120 } }),
    canonical({ decision: id, type: 'refund.approve.v2', event: 'evidence', payload: { key: 'customer_tier', value: 'gold' } }),
    canonical({ decision: id, type: 'refund.approve.v2', event: 'policy_check', payload: { policy: 'refund_limit', result: 'pass' } }),
    canonical({ decision: id, type: 'refund.approve.v2', event: 'outcome', payload: { status: 'approved', confidence: 0.93 } }),
    canonical({ decision: `${id}-notify`, parent: id, type: 'notify.channel.v1', event: 'outcome', actorType: 'system', payload: { status: 'email' } }),
  ];
}

function jsonl(name: string, events: Record<string, unknown>[], oneArrayLine = false): string {
  const file = join(dir, name);
  writeFileSync(file, oneArrayLine ? `${JSON.stringify(events)}\n` : `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return file;
}

const violating = [
  ...compliantRefund('refund-ok'),
  // Wrong outcome, missing customer_tier and the policy check, no confidence, no child.
  canonical({ decision: 'refund-bad', type: 'refund.approve.v2', event: 'decision.start', actorType: 'agent' }),
  canonical({ decision: 'refund-bad', type: 'refund.approve.v2', event: 'evidence', payload: { key: 'amount', value: 9000 } }),
  canonical({ decision: 'refund-bad', type: 'refund.approve.v2', event: 'outcome', payload: { status: 'maybe' } }),
  canonical({ decision: 'mystery', type: 'loan.approve', event: 'outcome', payload: { status: 'yes' } }),
];

test('lint on a clean JSONL data set exits 0', async () => {
  const file = jsonl('clean.jsonl', [...compliantRefund('r-1'), ...compliantRefund('r-2')]);
  const result = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--input', file]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^checked 4 decisions from /);
  assert.match(result.stdout, /ok: every decision follows its contract/);
  const arrays = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--input', jsonl('array.jsonl', compliantRefund('r-3'), true)]);
  assert.equal(arrays.code, 0, 'a line may hold an array of events');
});

test('lint on a violating JSONL data set exits 1 with a readable report', async () => {
  const result = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--input', jsonl('violating.jsonl', violating)]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const expected = [
    'FAIL refund.approve v2  refund-bad  (tenant acme, decided)',
    '  - key_evidence: missing evidence customer_tier',
    '  - key_policies: missing policy check refund_limit',
    '  - outcome: outcome maybe is not one of approved, denied, escalated',
    '  - confidence_required: confidence is required',
    '  - expected_children: no child decision of type notify.channel',
    'FAIL loan.approve  mystery  (tenant acme, decided)',
    '  - unknown_type: decision type loan.approve is not in the registry',
    '2 decisions break their contract (6 violations)',
  ];
  for (const line of expected) assert.ok(result.stdout.includes(line), `missing "${line}" in:\n${result.stdout}`);
  assert.ok(!result.stdout.includes('refund-ok'));

  const allowed = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--input', jsonl('violating.jsonl', violating), '--unknown-types', 'allow', '--json']);
  assert.equal(allowed.code, 1);
  const report = JSON.parse(allowed.stdout) as { checked: number; failing: Array<{ id: string }> };
  assert.equal(report.checked, 4);
  assert.deepEqual(
    report.failing.map((d) => d.id),
    ['refund-bad'],
    'allow: an unknown type is not a violation',
  );
});

test('lint on stored decisions (sqlite) exits 0 when clean and 1 on violations', async () => {
  const store = async (name: string, events: Record<string, unknown>[]) => {
    const url = `sqlite:${join(dir, name)}`;
    const parsed = parseCanonicalEvents(events);
    assert.deepEqual(parsed.errors, []);
    const opened = await openStore(url, { thread: 'inline' });
    await opened.append(parsed.events);
    await opened.close();
    return url;
  };
  const cleanUrl = await store('clean.db', [...compliantRefund('s-1'), ...compliantRefund('s-2')]);
  const clean = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--storage', cleanUrl]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /checked 4 decisions/);

  const badUrl = await store('violating.db', violating);
  const bad = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--storage', badUrl]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stdout, /FAIL refund\.approve v2 {2}refund-bad/);
  const otherTenant = await runCli(['lint', '--registry', EXAMPLE_REGISTRY, '--storage', badUrl, '--tenant', 'nobody']);
  assert.equal(otherTenant.code, 0, '--tenant selects the decisions checked');
});

test('usage, registry and input errors exit 2 and say what is wrong', async () => {
  const clean = jsonl('clean-2.jsonl', compliantRefund('u-1'));
  const cases: Array<{ args: string[]; stderr: RegExp }> = [
    { args: ['lint', '--input', clean], stderr: /--registry <file> is required/ },
    { args: ['lint', '--registry', EXAMPLE_REGISTRY], stderr: /give exactly one of --input <file\.jsonl> and --storage <url>/ },
    { args: ['lint', '--registry', EXAMPLE_REGISTRY, '--input', clean, '--storage', 'sqlite::memory:'], stderr: /give exactly one/ },
    {
      args: ['lint', '--registry', EXAMPLE_REGISTRY, '--input', clean, '--unknown-types', 'ignore'],
      stderr: /--unknown-types must be one of allow, flag, reject/,
    },
    { args: ['lint', '--registry', EXAMPLE_REGISTRY, '--input', join(dir, 'absent.jsonl')], stderr: /cannot read .*absent\.jsonl/ },
    { args: ['lint', '--registry', EXAMPLE_REGISTRY, '--storage', 'postgres://x'], stderr: /cannot open postgres:\/\/x/ },
    { args: ['lint', '--registry', EXAMPLE_REGISTRY, '--input', clean, '--bogus'], stderr: /unknown option '--bogus'/ },
  ];
  const badRegistry = join(dir, 'bad-registry.yaml');
  writeFileSync(badRegistry, 'decision_types:\n  refund.approve:\n    outcomes: [approved]\n    expected_childs: [x]\n');
  cases.push({ args: ['lint', '--registry', badRegistry, '--input', clean], stderr: /decision_types\.refund\.approve\.expected_childs: unknown key/ });
  const badInput = join(dir, 'bad.jsonl');
  writeFileSync(
    badInput,
    `${JSON.stringify(compliantRefund('b-1')[0])}\nnot json\n{"decision_id":"d","event_type":"decision.evidence","timestamp":"2025-03-01T10:00:00Z","payload":{}}\n`,
  );
  cases.push({ args: ['lint', '--registry', EXAMPLE_REGISTRY, '--input', badInput], stderr: /line 2: not JSON\n {2}line 3: payload\.key: required/ });

  const results = await Promise.all(cases.map((c) => runCli(c.args)));
  results.forEach((result, i) => {
    assert.equal(result.code, 2, `${cases[i]!.args.join(' ')}\n${result.stdout}${result.stderr}`);
    assert.match(result.stderr, cases[i]!.stderr);
  });
});
