import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { parse } from 'yaml';
import { runCli } from './helpers/collector-process.js';

/**
 * The commands that read a collector config take it as the OpenTelemetry Collector does:
 * `--config` repeated (paths or file:/env:/yaml: URIs, merged in order) and `--set`.
 */
const base = `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
processors:
  batch:
    timeout: 1s
exporters:
  debug: {}
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
`;

function files(): { a: string; b: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dt-config-cli-'));
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  writeFileSync(a, base);
  writeFileSync(b, 'processors:\n  batch:\n    send_batch_size: ${env:BATCH_SIZE}\n');
  return { a, b };
}

describe('--config (several) and --set on the command line', () => {
  test('print-config shows the merged, expanded config with --set applied and values typed', async () => {
    const { a, b } = files();
    const result = await runCli(
      ['print-config', '--config', a, '--config', `file:${b}`, '--set', 'processors.batch.timeout=3s', '--config', 'yaml:exporters::debug::verbosity: basic'],
      {
        env: { ...process.env, BATCH_SIZE: '64' },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const printed = parse(result.stdout) as { processors: { batch: unknown }; exporters: { debug: unknown } };
    assert.deepEqual(printed.processors.batch, { timeout: '3s', send_batch_size: 64 });
    assert.deepEqual(printed.exporters.debug, { verbosity: 'basic' });
  });

  test('validate merges the same way and names the source of a bad key', async () => {
    const { a, b } = files();
    const ok = await runCli(['validate', '--config', a, '--config', b], { env: { ...process.env, BATCH_SIZE: '64' } });
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(['validate', '--config', a, '--config', b, '--set', 'processors.batch.send_batch_size=-1'], {
      env: { ...process.env, BATCH_SIZE: '64' },
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /processors\.batch\.send_batch_size: .*\(from --set processors\.batch\.send_batch_size=-1\)/);
  });

  test('start refuses the merged config with the same message validate gives', async () => {
    const { a, b } = files();
    const args = ['--config', a, '--config', b];
    const env = { ...process.env, BATCH_SIZE: 'lots' };
    const validate = await runCli(['validate', ...args], { env });
    const start = await runCli(['start', ...args], { env });
    assert.equal(validate.code, 2);
    assert.equal(start.code, 2);
    assert.match(
      start.stderr,
      new RegExp(`processors\\.batch\\.send_batch_size: expected number, got string "lots" \\(from file:${b.replace(/[.]/g, '\\.')}\\)`),
    );
    assert.equal(start.stderr, validate.stderr);
  });

  test('a failed start names the variable the key took its value from, in the file that set it', async () => {
    const { a } = files();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'dt-config-cli-'));
      const c = join(dir, 'c.yaml');
      writeFileSync(c, 'receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: ${HTTP_ADDR}\n');
      const start = await runCli(['start', '--config', a, '--config', c], { env: { ...process.env, HTTP_ADDR: `127.0.0.1:${port}` } });
      assert.equal(start.code, 1, start.stderr);
      assert.match(
        start.stderr,
        /receivers\.otlp\.protocols\.http\.endpoint: .*\(the config takes receivers\.otlp\.protocols\.http\.endpoint from HTTP_ADDR: set it to change it\)/,
      );
    } finally {
      busy.close();
    }
  });
});
