import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionAxes, OutcomeComparison, type ReplayedDecision } from '../src/cli/replay/confusion.js';
import { verdictOf, verdictOfError, type PolicyVerdict } from '../src/cli/replay/policy-verdict.js';
import { renderConfusionTable, renderReplayReport } from '../src/cli/replay/replay-report.js';
import { progressBarLine, progressPlainLine } from '../src/cli/progress-line.js';
import { CommandProgress } from '../src/cli/command-progress.js';

let counter = 0;
function replayed(oldOutcome: string | null, verdict: PolicyVerdict | string, evidence: Record<string, unknown> = {}): ReplayedDecision {
  return {
    id: `d-${++counter}`,
    tenant: 'acme',
    oldOutcome,
    verdict: typeof verdict === 'string' ? { kind: 'decided', outcome: verdict, reason: null, evidenceKeys: [] } : verdict,
    evidence,
  };
}

const failed = (message: string): PolicyVerdict => ({ kind: 'error', message });

describe('OutcomeComparison', () => {
  test('counts each (old, new) pair, errors apart, and the share changed among decided', () => {
    const comparison = new OutcomeComparison();
    for (const [old, next] of [
      ['approved', 'approved'],
      ['approved', 'approved'],
      ['approved', 'denied'],
      ['denied', 'denied'],
      [null, 'approved'],
    ] as const) {
      comparison.add(replayed(old, next));
    }
    comparison.add(replayed('approved', failed('boom')));
    const result = comparison.result();
    assert.equal(result.total, 6);
    assert.equal(result.decided, 5);
    assert.equal(result.errors, 1);
    assert.equal(result.unchanged, 3);
    assert.equal(result.changed, 2);
    assert.equal(result.changed_share, 2 / 5);
    assert.deepEqual(result.transitions, [
      { old: 'approved', new: 'approved', count: 2 },
      { old: 'approved', new: 'denied', count: 1 },
      { old: 'denied', new: 'denied', count: 1 },
      { old: null, new: 'approved', count: 1 },
    ]);
    assert.deepEqual(result.errors_by_old, [{ old: 'approved', count: 1 }]);
  });

  test('no outcome (null) and the outcome spelled "null" are different rows', () => {
    const comparison = new OutcomeComparison();
    comparison.add(replayed(null, 'null'));
    comparison.add(replayed('null', 'null'));
    const result = comparison.result();
    assert.equal(result.changed, 1, 'null -> "null" is a change');
    assert.equal(result.unchanged, 1);
  });

  test('nothing decided: the share is null, not NaN', () => {
    const comparison = new OutcomeComparison();
    assert.equal(comparison.result().changed_share, null);
    comparison.add(replayed('a', failed('x')));
    assert.equal(comparison.result().changed_share, null);
    assert.equal(comparison.result().decided, 0);
  });

  test('examples cover every kind of change before repeating one, and stay bounded', () => {
    const comparison = new OutcomeComparison(3);
    for (let i = 0; i < 50; i++) comparison.add(replayed('approved', 'denied'));
    comparison.add(replayed('denied', 'approved'));
    comparison.add(replayed('escalated', 'approved'));
    comparison.add(replayed('escalated', 'escalated'));
    const result = comparison.result();
    assert.deepEqual(
      result.examples.map((e) => `${e.old}->${e.new}`),
      ['approved->denied', 'denied->approved', 'escalated->approved'],
    );
    assert.equal(result.examples[0].id, 'd-' + (counter - 52), 'the first met of its kind');
    const few = new OutcomeComparison(0);
    few.add(replayed('a', 'b'));
    few.add(replayed('a', failed('x')));
    assert.deepEqual(few.result().examples, []);
    assert.deepEqual(few.result().error_examples, []);
  });

  test('an example shows the evidence the policy named, a key the decision lacks as null', () => {
    const comparison = new OutcomeComparison();
    comparison.add(
      replayed(
        'approved',
        { kind: 'decided', outcome: 'denied', reason: 'over limit', evidenceKeys: ['amount', 'missing'] },
        {
          amount: 900,
          country: 'DE',
        },
      ),
    );
    comparison.add(replayed('approved', 'denied', { amount: 1 }));
    const [named, unnamed] = comparison.result().examples;
    assert.deepEqual(named.evidence, { amount: 900, missing: null });
    assert.equal(named.reason, 'over limit');
    assert.equal(unnamed.evidence, null, 'the policy named none: no evidence guessed');
  });
});

describe('confusion table', () => {
  const comparison = new OutcomeComparison();
  for (const [old, next] of [
    ['approved', 'approved'],
    ['approved', 'approved'],
    ['approved', 'denied'],
    ['denied', 'denied'],
    ['escalated', 'denied'],
    [null, 'approved'],
  ] as const) {
    comparison.add(replayed(old, next));
  }
  comparison.add(replayed('denied', failed('x')));
  const result = comparison.result();

  test('rows and columns share one order (most frequent first, none last) so the diagonal lines up', () => {
    assert.deepEqual(confusionAxes(result), { rows: ['approved', 'denied', 'escalated', null], columns: ['approved', 'denied'] });
  });

  test('renders counts right-aligned with row and column totals', () => {
    assert.equal(
      renderConfusionTable(result),
      [
        'old \\ new  approved  denied  (error)  total',
        '---------  --------  ------  -------  -----',
        'approved          2       1        0      3',
        'denied            0       1        1      2',
        'escalated         0       1        0      1',
        '(none)            1       0        0      1',
        'total             3       3        1      7',
      ].join('\n'),
    );
  });

  test('the report of an empty selection says so instead of an empty table', () => {
    const text = renderReplayReport(new OutcomeComparison().result(), { selection: 'x.y', source: 'sqlite:a.db', policy: 'p.js' });
    assert.match(text, /^replayed 0 decisions of x\.y\n {2}from sqlite:a\.db\n {2}policy p\.js\n\nno decisions match\n$/);
  });
});

describe('policy verdicts', () => {
  test('an outcome string or { outcome, reason?, evidence? }', () => {
    assert.deepEqual(verdictOf('denied'), { kind: 'decided', outcome: 'denied', reason: null, evidenceKeys: [] });
    assert.deepEqual(verdictOf({ outcome: 'denied', reason: 'too much', evidence: ['amount', 'amount', 'tier'] }), {
      kind: 'decided',
      outcome: 'denied',
      reason: 'too much',
      evidenceKeys: ['amount', 'tier'],
    });
    assert.deepEqual(verdictOf({ outcome: 'ok', reason: null, evidence: null }), { kind: 'decided', outcome: 'ok', reason: null, evidenceKeys: [] });
  });

  test('anything else is an error of that decision, saying what came back', () => {
    const cases: Array<[unknown, RegExp]> = [
      [undefined, /^policy returned undefined; expected an outcome string/],
      [42, /^policy returned number 42;/],
      ['', /^policy returned an empty outcome/],
      [['a'], /^policy returned an array;/],
      [{ result: 'a' }, /^policy returned an object without an outcome string/],
      [{ outcome: 'a', reason: 5 }, /reason that is not a string \(number 5\)/],
      [{ outcome: 'a', evidence: 'amount' }, /evidence that is not an array of evidence keys \(string amount\)/],
    ];
    for (const [value, message] of cases) {
      const verdict = verdictOf(value);
      assert.equal(verdict.kind, 'error', JSON.stringify(value));
      assert.match((verdict as { message: string }).message, message);
    }
  });

  test('a thrown error keeps its class name; a thrown non-error is described', () => {
    assert.deepEqual(verdictOfError(new RangeError('amount out of range')), { kind: 'error', message: 'RangeError: amount out of range' });
    assert.deepEqual(verdictOfError(new Error('plain')), { kind: 'error', message: 'plain' });
    assert.deepEqual(verdictOfError('nope'), { kind: 'error', message: 'policy threw string nope' });
  });
});

describe('replay progress', () => {
  test('a bar with share, rate and time left when the total is known; a count and rate otherwise', () => {
    assert.equal(progressBarLine({ done: 450, total: 1000, elapsedMs: 1500 }), '[=============>                ]  45%  450/1000 decisions  300/s  eta 2s');
    assert.equal(progressBarLine({ done: 1000, total: 1000, elapsedMs: 2000 }), `[${'='.repeat(30)}] 100%  1000/1000 decisions  500/s  eta 0s`);
    assert.equal(progressBarLine({ done: 0, total: 10, elapsedMs: 0 }), `[>${' '.repeat(29)}]   0%  0/10 decisions`);
    assert.equal(progressBarLine({ done: 1200, total: null, elapsedMs: 2000 }), 'replaying: 1200 decisions  600/s');
    assert.equal(progressPlainLine({ done: 450, total: 1000, elapsedMs: 1500 }), 'replay: 450 of 1000 decisions (45%), 300/s');
    assert.equal(progressPlainLine({ done: 7, total: null, elapsedMs: 1000 }), 'replay: 7 decisions, 7/s');
  });

  function fakeStream(isTTY: boolean) {
    const writes: string[] = [];
    return { stream: { isTTY, write: (text: string) => writes.push(text) }, writes };
  }

  test('on a terminal: redrawn in place at most every redrawMs, cleared at the end', () => {
    let now = 0;
    const { stream, writes } = fakeStream(true);
    const progress = new CommandProgress(stream, { redrawMs: 100, now: () => now });
    progress.setTotal(10);
    for (let i = 0; i < 10; i++) {
      now += 30;
      progress.advance();
    }
    progress.finish();
    assert.equal(writes.length, 3, '300 ms: redraws at 120 and 240 ms, then the clear');
    assert.ok(writes.slice(0, 2).every((w) => w.startsWith('\r[') && w.endsWith('\x1b[K')));
    assert.match(writes[1], /  80%  8\/10 decisions/);
    assert.equal(writes[2], '\r\x1b[K');
  });

  test('not a terminal: a plain line every logEveryMs, nothing for a short run, no control characters', () => {
    let now = 0;
    const { stream, writes } = fakeStream(false);
    const progress = new CommandProgress(stream, { logEveryMs: 1000, now: () => now });
    for (let i = 0; i < 5; i++) {
      now += 100;
      progress.advance();
    }
    progress.finish();
    assert.deepEqual(writes, [], 'a short run prints no progress');
    for (let i = 0; i < 25; i++) {
      now += 100;
      progress.advance();
    }
    progress.finish();
    assert.deepEqual(writes, ['replay: 10 decisions, 10/s\n', 'replay: 20 decisions, 10/s\n', 'replay: 30 decisions, 10/s\n']);
  });

  test('verify and lint use the same progress with their own words', () => {
    let now = 0;
    const { stream, writes } = fakeStream(false);
    const progress = new CommandProgress(stream, {
      label: { activity: 'verifying', command: 'verify', unit: 'ledger rows' },
      logEveryMs: 1000,
      now: () => now,
    });
    now += 1000;
    progress.advance(2000);
    assert.deepEqual(writes, ['verify: 2000 ledger rows, 2000/s\n']);
    assert.equal(
      progressBarLine({ done: 500, total: 1000, elapsedMs: 1000 }, { activity: 'reading', command: 'lint', unit: 'decisions' }).includes('500/1000 decisions'),
      true,
    );
    assert.equal(
      progressBarLine({ done: 4000, total: null, elapsedMs: 1000 }, { activity: 'verifying', command: 'verify', unit: 'ledger rows' }),
      'verifying: 4000 ledger rows  4000/s',
    );
  });
});
