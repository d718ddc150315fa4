import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDecisionStore } from '@decision-trace/store';
import type { DecisionEvent } from '@decision-trace/model';
import { REPO_ROOT } from './helpers/collector-process.js';

/**
 * Progress of long `verify` and `lint` runs, end to end: the installed command (the bin, on dist)
 * on a store and a JSONL file big enough to take a few seconds. With stderr on a terminal (a
 * pseudo-terminal from util-linux's `script`, stdout to a file) a bar is redrawn in place and
 * cleared before the report; with stderr a pipe, a run this short prints no progress at all (a
 * plain line comes only every 10 s). Either way stdout, the result, is the same.
 */
const BIN = join(REPO_ROOT, 'packages/collector/bin/decision-trace.js');
const REGISTRY = join(REPO_ROOT, 'examples/decision-registry.yaml');
/** Enough that verifying or reading them outlasts a few 100 ms redraw intervals on a fast machine. */
const DECISIONS = 30_000;
const JSONL_LINES = 60_000;
/** How often a plain progress line is written without a terminal (command-progress.ts). */
const PLAIN_LINE_EVERY_MS = 10_000;

const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
const skip = hasScript ? false : process.env.CI === 'true' ? false : "util-linux's `script` is not installed (it gives the command a terminal)";

interface Run {
  code: number | null;
  stdout: string;
  /** What the command wrote to stderr: the terminal's output, or the pipe's. */
  stderr: string;
  ms: number;
}

const dir = mkdtempSync(join(tmpdir(), 'dt-cli-progress-'));
let runs = 0;

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** The command with stderr on a pseudo-terminal; stdout goes to a file so it holds the result alone. */
function onTerminal(args: string[]): Run {
  const out = join(dir, `stdout-${++runs}.txt`);
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ') + ` > ${shellQuote(out)}`;
  const started = Date.now();
  // -e: script exits with the command's code; -f: flush as written; the log file is not wanted.
  const run = spawnSync('script', ['-qfec', command, '/dev/null'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: run.status, stdout: readFileSync(out, 'utf8'), stderr: run.stdout, ms: Date.now() - started };
}

function piped(args: string[]): Run {
  const started = Date.now();
  const run = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, ms: Date.now() - started };
}

/**
 * The frames drawn on the terminal, in order: a bar when the total is known,
 * `\r[====>   ]  45%  4500/10000 <unit>  1200/s  eta 5s`, else a count, `\rverifying: 4000 <unit>  1200/s`.
 */
function frames(terminal: string, unit: string): Array<{ done: number; total: number | null }> {
  const frame = new RegExp(`\\r(?:\\[[= >]{30}\\] +\\d+%  (\\d+)/(\\d+)|[a-z]+: (\\d+)) ${unit}[^\\r\\n]*\\x1b\\[K`, 'g');
  return [...terminal.matchAll(frame)].map((match) =>
    match[3] === undefined ? { done: Number(match[1]), total: Number(match[2]) } : { done: Number(match[3]), total: null },
  );
}

/** `total`: the bar's total, or null for a running count. */
function assertProgressShown(run: Run, unit: string, total: number | null): void {
  const drawn = frames(run.stderr, unit);
  assert.ok(drawn.length >= 1, `progress was drawn; the terminal showed ${JSON.stringify(run.stderr.slice(0, 500))}`);
  for (const frame of drawn) assert.equal(frame.total, total);
  const done = drawn.map((frame) => frame.done);
  assert.deepEqual(
    done,
    [...done].sort((a, b) => a - b),
    'the count only grows',
  );
  assert.ok(done.at(-1)! <= (total ?? Infinity));
  // The last frame is cleared before the command ends, so nothing of the bar stays on the line.
  const lastFrame = run.stderr.lastIndexOf('\r[');
  assert.ok(run.stderr.indexOf('\r\x1b[K', lastFrame) > lastFrame, 'the bar is cleared when done');
}

/** No bar and no control characters; a plain line only if the run outlasted the interval between them. */
function assertNoProgressNoise(run: Run, plainLine: RegExp): void {
  assert.doesNotMatch(run.stderr, /[\r\x1b]/, 'nothing is drawn in place');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  if (run.ms < PLAIN_LINE_EVERY_MS) assert.deepEqual(lines, [], 'a run this short writes nothing to stderr');
  for (const line of lines) assert.match(line, plainLine);
}

let eventNumber = 0;
function observed(i: number): DecisionEvent {
  eventNumber += 1;
  return {
    schema_version: '1.0',
    event_id: `progress-${eventNumber}`,
    event_type: 'decision.observed',
    decision_id: `d-${i}`,
    decision_type: 'notify.channel.v1',
    parent_decision_id: null,
    trace_id: null,
    span_id: null,
    tenant_id: 'acme',
    environment: 'prod',
    timestamp: new Date(Date.UTC(2025, 2, 1) + i * 1000).toISOString(),
    actor: { id: 'notifier', type: 'system', version: null, org: null },
    payload: { outcome: i % 10 === 0 ? 'pigeon' : 'email' },
    causal_links: [],
    source: 'api.events',
  };
}

describe('progress of long verify and lint runs', { skip }, () => {
  const store = join(dir, 'decisions.db');
  const jsonl = join(dir, 'events.jsonl');

  before(async () => {
    const writer = new SqliteDecisionStore(store);
    try {
      for (let start = 0; start < DECISIONS; start += 2000) {
        await writer.append(Array.from({ length: Math.min(2000, DECISIONS - start) }, (_, k) => observed(start + k)));
      }
    } finally {
      await writer.close();
    }
    const lines: string[] = [];
    for (let i = 0; i < JSONL_LINES; i++) lines.push(JSON.stringify(observed(i)));
    writeFileSync(jsonl, `${lines.join('\n')}\n`);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('verify: a running count on a terminal, nothing on a pipe, the same result', { timeout: 300_000 }, () => {
    // Each run gets its own copy: nothing the first does to the file (a WAL, a -shm) can change the second.
    const copy = (name: string) => {
      const file = join(dir, name);
      copyFileSync(store, file);
      return `sqlite:${file}`;
    };
    const terminal = onTerminal(['verify', '--storage', copy('tty.db')]);
    const pipe = piped(['verify', '--storage', copy('pipe.db')]);
    assert.equal(terminal.code, 0, terminal.stderr);
    assert.equal(pipe.code, 0, pipe.stderr);
    assert.equal(pipe.stdout, `ledger intact: ${DECISIONS} rows verified; decision records match their events; audit log intact\n`);
    assert.equal(terminal.stdout, pipe.stdout);
    // Verify does not count the rows first: a running count rather than a bar.
    assertProgressShown(terminal, 'ledger rows', null);
    assertNoProgressNoise(pipe, /^verify: \d+ of \d+ ledger rows \(\d+%\), \d+\/s$/);
  });

  test('lint --storage: a bar while the store is read, nothing on a pipe, the same report', { timeout: 300_000 }, () => {
    const args = ['lint', '--registry', REGISTRY, '--storage', `sqlite:${store}`, '--json'];
    const terminal = onTerminal(args);
    const pipe = piped(args);
    // Every tenth decision has an outcome its contract does not allow: exit 1, the same report.
    assert.equal(pipe.code, 1, pipe.stderr);
    assert.equal(terminal.code, 1, terminal.stderr);
    const report = JSON.parse(pipe.stdout) as { checked: number; failing: unknown[] };
    assert.equal(report.checked, DECISIONS);
    assert.equal(report.failing.length, DECISIONS / 10);
    assert.equal(terminal.stdout, pipe.stdout);
    assertProgressShown(terminal, 'decisions', DECISIONS);
    assertNoProgressNoise(pipe, /^lint: \d+ of \d+ decisions \(\d+%\), \d+\/s$/);
  });

  test('lint --input: a bar while the file is read, nothing on a pipe, the same report', { timeout: 300_000 }, () => {
    const args = ['lint', '--registry', REGISTRY, '--input', jsonl];
    const terminal = onTerminal(args);
    const pipe = piped(args);
    assert.equal(pipe.code, 1, pipe.stderr);
    assert.equal(terminal.code, 1, terminal.stderr);
    assert.match(pipe.stdout, new RegExp(`^checked ${JSONL_LINES} decisions from ${jsonl.replaceAll('.', '\\.')}\\n`));
    assert.match(pipe.stdout, new RegExp(`\\n${JSONL_LINES / 10} decisions break their contract \\(${JSONL_LINES / 10} violations\\)\\n$`));
    assert.equal(terminal.stdout, pipe.stdout);
    // The file's lines and the empty string after its last newline.
    assertProgressShown(terminal, 'lines', JSONL_LINES + 1);
    assertNoProgressNoise(pipe, /^lint: \d+ of \d+ lines \(\d+%\), \d+\/s$/);
  });
});
