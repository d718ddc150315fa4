import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';

/**
 * The README's quick start, as a new user runs it: its curl command (taken from the README and
 * run by bash and curl), `examples/send-decision.mjs`, then `lint` against
 * `examples/decision-registry.yaml` and `replay` with `examples/new-refund-policy.js`. The
 * examples must fit each other: the quick start's data is clean under the registry, and the
 * replay shows what the README says it shows.
 */
const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The README's curl block (the ```sh block that posts to /v1/traces). */
function readmeCurlScript(): string {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const curl = blocks.find((block) => block.includes('curl -sS http://localhost:4318/v1/traces'));
  assert.ok(curl, 'the README has the curl example');
  return curl;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Listed {
  id: string;
  type: string;
  outcome: string;
  start_time: string;
  evidence: Record<string, unknown>;
}

describe("the README's quick start", () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector?.stop();
  });

  test('curl and the example record decisions that lint clean and replay as described', { timeout: 120_000 }, async () => {
    const sentAt = Date.now();
    const curl = await run('bash', ['-c', readmeCurlScript().replaceAll('http://localhost:4318', collector.otlpHttpUrl)]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.doesNotMatch(curl.stdout, /rejected|error/i, curl.stdout);

    const example = await run(process.execPath, ['examples/send-decision.mjs'], { OTLP_URL: `${collector.otlpHttpUrl}/v1/traces` });
    assert.equal(example.code, 0, example.stderr);

    let decisions: Listed[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      decisions = ((await (await fetch(`${collector.apiUrl}/v1/decisions?limit=50`)).json()) as { decisions: Listed[] }).decisions;
      if (decisions.length >= 4) break;
    }
    assert.deepEqual(decisions.map((d) => d.type).sort(), ['notify.channel', 'notify.channel', 'refund.approve', 'refund.approve']);
    // The curl example's span carries the time it was sent, so `query --since 1h` lists it.
    const fromCurl = decisions.find(
      (d) => d.type === 'refund.approve' && d.evidence.customer_tier === 'gold' && Math.abs(Date.parse(d.start_time) - sentAt) < 60_000,
    );
    assert.ok(fromCurl, `the curl decision has a recent start time: ${JSON.stringify(decisions)}`);
    const recent = await runCli(['query', '--since', '1h', '--json', '--endpoint', collector.apiUrl]);
    assert.equal(recent.code, 0, recent.stderr);
    assert.match(recent.stdout, new RegExp(fromCurl.id));

    const storage = `sqlite:${collector.dbPath}`;
    const lint = await runCli(['lint', '--registry', 'examples/decision-registry.yaml', '--storage', storage]);
    assert.equal(lint.code, 0, `lint of the quick start's data:\n${lint.stdout}${lint.stderr}`);

    const replay = await runCli(['replay', '--type', 'refund.approve', '--policy', './examples/new-refund-policy.js', '--storage', storage, '--json']);
    assert.equal(replay.code, 0, replay.stderr);
    const result = JSON.parse(replay.stdout) as { total: number; changed: number; transitions: Array<{ old: string | null; new: string; count: number }> };
    assert.equal(result.total, 2);
    assert.deepEqual(result.transitions, [{ old: 'approved', new: 'denied', count: 2 }], 'both refunds of 120 would now be denied, as the README says');
  });
});
