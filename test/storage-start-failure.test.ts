import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from './helpers/collector-process.js';
import { freePort } from './helpers/free-port.js';

/**
 * Storage that cannot be opened at start (issue #17, defect 5): the collector exits with 1 (a
 * failed start; 2 stays for an invalid config), naming the YAML key at fault on stderr and in a
 * fatal log line, after stopping what had already started (the /metrics server, the decision
 * API's listener), instead of staying half-started. We run as root, so "unwritable" is a path
 * under a regular file: no permission bit stops root from writing, ENOTDIR does.
 */
describe('storage that cannot be opened at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dt-start-failure-'));
  const regularFile = join(dir, 'a-regular-file');
  writeFileSync(regularFile, 'not a directory');
  const unwritable = `sqlite:${join(regularFile, 'sub', 'decisions.db')}`;
  const goodDb = `sqlite:${join(dir, 'good.db')}`;

  /** A collector whose metrics server and decision API start before the exporters do. */
  async function configWith(overrides: { exporters: Record<string, unknown>; apiStorage?: string }): Promise<string> {
    const [http, api, metrics] = await Promise.all([freePort(), freePort(), freePort()]);
    const file = join(dir, `config-${http}.yaml`);
    writeFileSync(
      file,
      stringify({
        receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${http}` } } } },
        exporters: overrides.exporters,
        extensions: { decision_api: { endpoint: `127.0.0.1:${api}`, storage: overrides.apiStorage ?? goodDb } },
        service: {
          extensions: ['decision_api'],
          pipelines: { traces: { receivers: ['otlp'], exporters: Object.keys(overrides.exporters) } },
          telemetry: { logs: { level: 'info' }, metrics: { address: `127.0.0.1:${metrics}` } },
        },
      }),
    );
    return file;
  }

  async function startFails(config: string, key: string): Promise<{ stderr: string; stdout: string }> {
    const startedAt = Date.now();
    const { code, stdout, stderr } = await runCli(['start', '--config', config]);
    assert.equal(code, 1, `exit code 1 (a failed start), got ${code}:\n${stdout}\n${stderr}`);
    assert.ok(Date.now() - startedAt < 30_000, 'the process exits instead of staying half-started');
    assert.match(stderr, new RegExp(`failed to start: ${key.replaceAll('.', '\\.')}: `), `stderr names ${key}:\n${stderr}`);
    const fatal = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; key?: string; msg: string })
      .find((entry) => entry.level === 60);
    assert.ok(fatal, `a fatal log line:\n${stdout}`);
    assert.equal(fatal.key, key);
    assert.match(fatal.msg, new RegExp(`^collector failed to start: ${key.replaceAll('.', '\\.')}: `));
    // /metrics and the decision API were listening before the exporter failed.
    assert.match(stdout, /collector metrics served at \/metrics/);
    return { stderr, stdout };
  }

  test('a SQLite path that cannot be created: exporters.<id>.storage, exit 1', { timeout: 60_000 }, async () => {
    const config = await configWith({ exporters: { decisions: { storage: unwritable } } });
    const { stderr } = await startFails(config, 'exporters.decisions.storage');
    assert.ok(stderr.includes(unwritable), 'the message says which store');
  });

  test('the decision API on a SQLite path that cannot be created: extensions.decision_api.storage', { timeout: 60_000 }, async () => {
    const config = await configWith({ exporters: { decisions: { storage: goodDb } }, apiStorage: unwritable });
    await startFails(config, 'extensions.decision_api.storage');
  });

  test('an unreachable PostgreSQL: the key, and the URL without its password', { timeout: 60_000 }, async () => {
    const closedPort = await freePort(); // nothing listens there once freePort returned
    const config = await configWith({ exporters: { decisions: { storage: `postgres://postgres:s3cret@127.0.0.1:${closedPort}/test` } } });
    const { stderr, stdout } = await startFails(config, 'exporters.decisions.storage');
    assert.match(stderr, new RegExp(`127\\.0\\.0\\.1:${closedPort}`));
    assert.ok(!stderr.includes('s3cret') && !stdout.includes('s3cret'), 'the password is not printed');
  });

  test('a PostgreSQL URL that cannot be parsed names the key too', { timeout: 60_000 }, async () => {
    const config = await configWith({ exporters: { decisions: { storage: 'postgres://postgres@127.0.0.1:99999999/test' } } });
    await startFails(config, 'exporters.decisions.storage');
  });

  test('a persistent queue directory that cannot be created: exporters.<id>.sending_queue.storage', { timeout: 60_000 }, async () => {
    const sinkPort = await freePort();
    const config = await configWith({
      exporters: { otlphttp: { endpoint: `http://127.0.0.1:${sinkPort}`, sending_queue: { storage: join(regularFile, 'queue') } } },
    });
    await startFails(config, 'exporters.otlphttp.sending_queue.storage');
  });
});
