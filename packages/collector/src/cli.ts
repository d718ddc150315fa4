#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { ingestCommand } from './cli/ingest.js';
import { withConfigOptions } from './cli/config-options.js';
import { lintCommand } from './cli/lint.js';
import { printConfigCommand } from './cli/print-config.js';
import { queryCommand } from './cli/query.js';
import { replayCommand } from './cli/replay.js';
import { samplingTestCommand } from './cli/sampling-test.js';
import { showCommand } from './cli/show.js';
import { startCommand } from './cli/start.js';
import { validateCommand } from './cli/validate.js';
import { verifyCommand } from './cli/verify.js';
import { DEFAULT_STREAM_TARGET } from './shared/nats-stream.js';

const DEFAULT_API = process.env.DECISION_TRACE_API ?? 'http://127.0.0.1:8711';
// The package's own manifest, one level above src/ and dist/ alike.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command()
  .name('decision-trace')
  .description('Record why software decides what it decides: collector, store and queries.')
  .version(version, '-V, --version', 'print the version')
  // `--version` of the program only before a command: `query --version v2` is the query's own option.
  .enablePositionalOptions()
  .showHelpAfterError();

withConfigOptions(program.command('start').description('run the collector')).action(startCommand);

withConfigOptions(
  program.command('validate').description('check a collector config as start does, without starting (exit 0 valid, 2 the problems with their YAML paths)'),
).action(validateCommand);

withConfigOptions(
  program.command('print-config').description('print the config the --config sources and --set values resolve to, after validating it (exit 2 when invalid)'),
)
  .option('--format <format>', 'yaml or json', 'yaml')
  .action(printConfigCommand);

program
  .command('ingest')
  .description('write decision events from a NATS JetStream stream to a store (a stateless writer; run several)')
  .requiredOption('--from <url>', 'NATS server, e.g. nats://127.0.0.1:4222')
  .option('--stream <name>', 'JetStream stream (created when missing)', DEFAULT_STREAM_TARGET.stream)
  .option('--subject <subject>', 'subject the collectors publish on', DEFAULT_STREAM_TARGET.subject)
  .requiredOption('--storage <url>', 'store to write to, e.g. sqlite:./data/decisions.db or postgres://…')
  .option('--durable <name>', 'durable consumer shared by all writers', 'decision-trace-writers')
  .option('--batch <n>', 'messages per store transaction', '256')
  .option('--ack-wait <duration>', 'redelivery delay of messages a writer took and did not acknowledge (when the consumer is created)', '30s')
  .option('--log-level <level>', 'trace … fatal, silent', 'info')
  .action(ingestCommand);

program
  .command('query')
  .description('list decisions, newest first')
  .option('--endpoint <url>', 'decision API', DEFAULT_API)
  .option('--type <type>', 'decision type, with or without version suffix (refund.approve or refund.approve.v2)')
  .option('--version <version>', 'decision type version (v2)')
  .option('--outcome <outcome>', 'outcome')
  .option('--tenant <tenant>', 'tenant')
  .option('--since <time>', 'RFC 3339 time or a duration ago (1h, 7d)')
  .option('--until <time>', 'RFC 3339 time or a duration ago')
  .option('--trace-id <id>', 'trace id')
  .option('--actor-id <id>', 'actor id')
  .option('--actor-type <type>', 'actor type (agent, human, …)')
  .option('--service <name>', 'service name')
  .option('--status <status>', 'pending, decided or errored')
  .option('--min-confidence <n>', 'confidence at least (0-1)')
  .option('--max-confidence <n>', 'confidence at most (0-1)')
  .option('--has-violations <bool>', 'true: only decisions with contract violations; false: only without')
  .option('--evidence <key=value>', 'evidence[key] equals value (repeatable)', (value: string, all: string[] = []) => [...all, value])
  .option('--limit <n>', 'page size (1-1000)')
  .option('--cursor <cursor>', 'next page, from a previous query')
  .option('--api-key <key>', 'API key when the decision API asks for one (default: $DT_API_KEY)')
  .option('--json', 'print JSON')
  .action(queryCommand);

program
  .command('show')
  .description('show a decision in the decision tree of its trace')
  .argument('<id>', 'decision id')
  .option('--endpoint <url>', 'decision API', DEFAULT_API)
  .option('--tenant <tenant>', 'tenant (when the id exists in several)')
  .option('--api-key <key>', 'API key when the decision API asks for one (default: $DT_API_KEY)')
  .option('--json', 'print JSON')
  .action(showCommand);

program
  .command('verify')
  .description(
    "verify the ledger's hash chains, each decision record against its events and the audit log (exit 1 naming the first problem, 2 for a missing store or an unusable witness file)",
  )
  .requiredOption('--storage <url>', 'storage URL, e.g. sqlite:./data/decisions.db')
  .option('--witness <file>', "witness file of chain heads (the decisions exporter's witness.path): each head must still be in the store")
  .option('--json', 'print JSON')
  .action(verifyCommand);

program
  .command('sampling')
  .description('sampling policies')
  .command('test')
  .description("run the config's sampling processors over OTLP JSON traces and print each trace's decision")
  .requiredOption('-c, --config <file>', 'collector config (OpenTelemetry Collector layout)')
  .requiredOption('-i, --input <file>', 'OTLP JSON: one ExportTraceServiceRequest or an array of them')
  .option('--json', 'one JSON line per trace: {traceId, decision, policy}')
  .action(samplingTestCommand);

program
  .command('lint')
  .description('check decisions against a decision registry (exit 0 clean, 1 violations, 2 usage or input errors)')
  .option('-r, --registry <file>', 'decision registry YAML')
  .option('-i, --input <file>', 'JSONL of canonical decision events (one event or one array per line)')
  .option('--storage <url>', 'stored decisions, e.g. sqlite:./data/decisions.db')
  .option('--tenant <tenant>', 'only this tenant')
  .option('--unknown-types <mode>', 'a type not in the registry: allow, flag or reject', 'flag')
  .option('--json', 'print JSON')
  // Usage errors exit 2 so CI can tell a broken lint call from decisions that break a contract.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(lintCommand);

program
  .command('replay')
  .description('run a new policy over stored decisions and show how their outcomes would change (exit 2 on usage errors)')
  .requiredOption('--type <type>', 'decision type, with or without version suffix')
  .requiredOption('--policy <file>', 'JS module whose default export (or `decide`) maps { evidence, record } to an outcome')
  .option('--version <version>', 'decision type version (v2)')
  .option('--tenant <tenant>', 'tenant')
  .option('--since <time>', 'RFC 3339 time or a duration ago (1h, 7d)')
  .option('--until <time>', 'RFC 3339 time or a duration ago')
  .option('--limit <n>', 'replay at most this many decisions (newest first)')
  .option('--storage <url>', 'read the store directly: sqlite:<path> or postgres://…')
  .option('--endpoint <url>', `read through the decision API (default ${DEFAULT_API})`)
  .option('--api-key <key>', 'API key when the decision API asks for one (default: $DT_API_KEY)')
  .option('--examples <n>', 'changed decisions (and policy errors) to show', '5')
  .option('--timeout <duration>', 'a policy call that takes longer counts as an error', '30s')
  .option('--json', 'print JSON')
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action((options) => replayCommand(options, DEFAULT_API));

program.parseAsync().catch((error: Error) => {
  process.stderr.write(`decision-trace: ${error.message}\n`);
  process.exitCode = process.exitCode || 1;
});
