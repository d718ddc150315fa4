import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { DecisionRecord } from '@decision-trace/model';
import { NODE_TS, REPO_ROOT, runCli, startCollector, type RunningCollector } from './helpers/collector-process.js';

function runAgent(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_TS, 'examples/refund-agent/agent.mjs'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/refund-agent against the collector', () => {
  let collector: RunningCollector;
  before(async () => {
    collector = await startCollector();
  });
  after(async () => {
    await collector.stop();
  });

  test('the agent records a decision tree per request that `decision-trace show` displays', async () => {
    const run = await runAgent({ OTLP_URL: collector.otlpHttpUrl, DECISION_TRACE_API: collector.apiUrl });
    assert.equal(run.code, 0, run.stderr);
    const made = [...run.stdout.matchAll(/^decision (\S+) refund\.approve\.v2 (\w+)/gm)].map((m) => ({ id: m[1], outcome: m[2] }));
    assert.deepEqual(
      made.map((m) => m.outcome),
      ['approved', 'denied', 'approved', 'escalated'],
    );
    assert.match(run.stdout, /failed 0, dropped 0/);

    const [first] = made;
    const res = await fetch(`${collector.apiUrl}/v1/decisions/${first.id}`);
    const record = (await res.json()) as DecisionRecord;
    assert.equal(record.outcome, 'approved');
    assert.equal(record.tenant, 'acme');
    assert.deepEqual((record.evidence.model_advice as { decision: string }).decision, 'approve');
    assert.deepEqual(record.actions, [{ name: 'issue_refund', amount: 49.9, currency: 'EUR', channel: 'original_payment' }]);

    const page = (await fetch(`${collector.apiUrl}/v1/decisions?trace_id=${record.trace_id}`).then((r) => r.json())) as {
      decisions: DecisionRecord[];
    };
    const children = page.decisions
      .filter((d) => d.parent_decision_id === first.id)
      .map((d) => d.type)
      .sort();
    assert.deepEqual(children, ['customer.tier.assess', 'refund.channel.select']);

    const shown = await runCli(['show', first.id, '--endpoint', collector.apiUrl]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /3 decisions/);
    for (const type of ['refund.approve', 'customer.tier.assess', 'refund.channel.select']) assert.match(shown.stdout, new RegExp(type));
  });
});
