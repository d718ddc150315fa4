import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defaultComponents, loadCollectorConfig, type CollectorConfig } from '@decision-trace/collector';
import { REPO_ROOT, runCli } from './helpers/collector-process.js';

const DOC = join(REPO_ROOT, 'docs/deployment.md');

/** What the doc's configs read from the environment, as an operator would set it. */
const ENV: NodeJS.ProcessEnv = {
  DT_NATS_URL: 'nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222',
  DT_POSTGRES_URL: 'postgres://decision_trace:secret@db.internal:5432/decisions',
  DT_TRACE_BACKEND: 'tempo.internal:4317',
  DT_API_KEY_ADMIN: 'admin-0123456789abcdef',
  DT_API_KEY_ACME_READ: 'acme-read-0123456789abcdef',
  DT_API_KEY_ACME_WRITE: 'acme-write-0123456789abcdef',
};

interface Block {
  /** The `## ` heading the block sits under. */
  section: string;
  language: string;
  text: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  let section = '';
  for (const match of markdown.matchAll(/^## (.+)$|^```(\w*)\n([\s\S]*?)^```$/gm)) {
    if (match[1] !== undefined) section = match[1];
    else out.push({ section, language: match[2], text: match[3] });
  }
  return out;
}

const markdown = readFileSync(DOC, 'utf8');
const yamlBlocks = blocks(markdown).filter((b) => b.language === 'yaml');
const dir = mkdtempSync(join(tmpdir(), 'dt-deployment-doc-'));

async function load(block: Block, env: NodeJS.ProcessEnv = ENV): Promise<CollectorConfig> {
  const file = join(dir, `${block.section.replace(/\W+/g, '-')}.yaml`);
  writeFileSync(file, block.text);
  return loadCollectorConfig(file, defaultComponents(), env);
}

function tier(section: string): Block {
  const found = yamlBlocks.filter((b) => b.section === section);
  assert.equal(found.length, 1, `docs/deployment.md has one yaml block under "## ${section}"`);
  return found[0];
}

/** A component's resolved config, loosely typed for reading a few keys. */
function settings(map: Map<string, { config: unknown }>, id: string): Record<string, any> {
  const component = map.get(id);
  assert.ok(component, `${id} is configured`);
  return component.config as Record<string, any>;
}

describe('docs/deployment.md', () => {
  test('every yaml block is a collector config the collector loads, with the documented environment', async () => {
    assert.ok(yamlBlocks.length >= 3, `found ${yamlBlocks.length} yaml blocks`);
    for (const block of yamlBlocks) {
      await assert.doesNotReject(load(block), `the yaml block under "## ${block.section}" loads`);
    }
  });

  test('routing tier: load_balancing by trace id over DNS, with a persistent queue that never gives up', async () => {
    const config = await load(tier('Routing tier'));
    const lb = settings(config.exporters, 'load_balancing');
    assert.equal(lb.routing_key, 'traceID');
    assert.ok(lb.resolver.dns, 'samplers are found by DNS');
    assert.equal(typeof lb.protocol.otlp.sending_queue.storage, 'string', 'the per-sampler queues are on disk');
    assert.equal(lb.protocol.otlp.retry_on_failure.max_elapsed_time, 0);
    assert.deepEqual(
      config.service.pipelines.map((p) => p.exporters),
      [['load_balancing']],
      'the routing tier neither samples nor stores',
    );
    assert.ok(!config.service.pipelines[0].processors.some((p) => /sampl/.test(p)));
  });

  test('sampling tier: decision and tail_sampling, decisions to NATS JetStream from the environment', async () => {
    const config = await load(tier('Sampling tier'));
    const [pipeline] = config.service.pipelines;
    assert.deepEqual(
      pipeline.processors.filter((p) => p === 'decision' || p === 'tail_sampling'),
      ['decision', 'tail_sampling'],
    );
    const decisions = settings(
      config.exporters,
      pipeline.exporters.find((e) => e.startsWith('decisions'))!,
    );
    assert.equal(decisions.nats.url, ENV.DT_NATS_URL);
    assert.equal(decisions.storage, undefined, 'nothing is written locally');
  });

  test('backend API replicas: decision_api on PostgreSQL with API keys taken from the environment', async () => {
    const block = tier('Backend API replicas');
    const config = await load(block);
    const api = settings(config.extensions, 'decision_api');
    assert.equal(api.storage, ENV.DT_POSTGRES_URL);
    assert.deepEqual(
      api.auth.api_keys.map((k: { key: string }) => k.key).sort(),
      [ENV.DT_API_KEY_ADMIN, ENV.DT_API_KEY_ACME_READ, ENV.DT_API_KEY_ACME_WRITE].sort(),
    );
    const written = parse(block.text).extensions.decision_api.auth.api_keys as Array<{ key: string }>;
    for (const entry of written) assert.match(entry.key, /^\$\{env:[A-Z0-9_]+\}$/, 'no key is written in the doc itself');
    await assert.rejects(load(block, { ...ENV, DT_API_KEY_ACME_READ: undefined }), /api_keys/, 'an unset key variable stops the replica');
  });

  test("the writers' command line uses only options `decision-trace ingest` has", async () => {
    const lines = blocks(markdown)
      .filter((b) => b.language === 'sh' && b.text.includes('decision-trace ingest'))
      .map((b) => b.text.replace(/\\\n/g, ' '));
    assert.ok(lines.length >= 1, "the doc shows the writers' command");
    const help = await runCli(['ingest', '--help']);
    assert.equal(help.code, 0, help.stderr);
    for (const line of lines) {
      const options = [...line.matchAll(/\s(--[a-z-]+)/g)].map((m) => m[1]);
      assert.ok(options.includes('--from') && options.includes('--storage'));
      for (const option of options) assert.ok(help.stdout.includes(`${option} `), `ingest knows ${option}`);
    }
  });
});
