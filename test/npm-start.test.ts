import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/collector-process.js';
import { assertPortsFree } from './helpers/free-port.js';

function runNpx(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The README promises that `npm start` runs the collector on its embedded default: OTLP/HTTP on
 * 4318 and the decision API on 8711. This runs exactly that command (the build included).
 */
test('npm start serves OTLP/HTTP on 4318, the decision API and its web UI on 8711', { timeout: 120_000 }, async () => {
  // `npm start` runs the default config, on fixed ports: whatever already answers there (a
  // collector the user left running) would be read instead of the collector this test starts.
  // The default metrics address may be busy: the collector starts anyway and nothing reads it.
  await assertPortsFree([
    { host: '127.0.0.1', port: 4318, movedBy: 'DT_OTLP_HTTP_ENDPOINT' },
    { host: '127.0.0.1', port: 4317, movedBy: 'DT_OTLP_GRPC_ENDPOINT' },
    { host: '127.0.0.1', port: 8711, movedBy: 'DT_API_ENDPOINT' },
    { host: '127.0.0.1', port: 13133, movedBy: 'DT_HEALTH_ENDPOINT' },
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'dt-npm-start-'));
  const child = spawn('npm', ['start'], {
    cwd: REPO_ROOT,
    env: { ...process.env, DT_DATA_DIR: dataDir, DT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 100_000;
    let api: Response | undefined;
    while (Date.now() < deadline && child.exitCode === null) {
      api = await fetch('http://127.0.0.1:8711/v1/decisions').catch(() => undefined);
      if (api?.ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(api?.ok, `decision API did not answer on 8711:\n${output}`);
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'curl' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  name: 'decide',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000000500000000',
                  attributes: [
                    { key: 'decision.type', value: { stringValue: 'greeting.choose.v1' } },
                    { key: 'decision.outcome', value: { stringValue: 'hello' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    });
    const otlp = await fetch('http://localhost:4318/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(otlp.status, 200, await otlp.text());
    const list = (await (await fetch('http://127.0.0.1:8711/v1/decisions?type=greeting.choose')).json()) as { decisions: Array<{ outcome: string }> };
    assert.deepEqual(
      list.decisions.map((d) => d.outcome),
      ['hello'],
    );
    // The web UI is served from the built collector (dist), not only from the sources the tests run.
    const page = await fetch('http://127.0.0.1:8711/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /Decision Trace/);
    // The README's next step: the CLI through npx, which needs npm to have linked its bin.
    const query = await runNpx(['decision-trace', 'query', '--json', '--type', 'greeting.choose']);
    assert.equal(query.code, 0, query.output);
    assert.match(query.output, /"outcome":\s*"hello"/);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await exited;
  }
});
