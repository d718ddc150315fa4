#!/usr/bin/env node
// `npm run bench [-- --quick]`: each case is measured against a baseline in the same run, and
// the median of several rounds is reported (the machine is noisy). Results go to
// bench/results.json and a table in BENCHMARKS.md.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ingestCase } from './ingest-case.mjs';

const root = new URL('..', import.meta.url).pathname;
const quick = process.argv.includes('--quick');

const cases = [ingestCase];
const results = [];
for (const run of cases) {
  const result = await run({ quick, root });
  for (const r of Array.isArray(result) ? result : [result]) {
    results.push(r);
    console.log(`${r.name}: ${format(r.value)} ${r.unit} (baseline ${r.baseline_name}: ${format(r.baseline_value)}; ratio ${r.ratio.toFixed(3)})`);
  }
}

writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(root, 'BENCHMARKS.md'), markdown(results));
console.log('wrote bench/results.json and BENCHMARKS.md');

function format(n) {
  return Math.round(n).toLocaleString('en-US');
}

function markdown(rows) {
  const cpu = cpus();
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (do not edit by hand). Every value is the median of several rounds, next to a',
    'baseline measured in the same run on the same machine, so the ratio is what to compare across machines.',
    '',
    `- machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), Node ${process.version}`,
    `- run: ${new Date().toISOString()}${quick ? ' (--quick: fewer and shorter rounds)' : ''}`,
    '',
    '| case | value | unit | baseline | baseline value | ratio |',
    '| --- | ---: | --- | --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${format(r.value)} | ${r.unit} | ${r.baseline_name} | ${format(r.baseline_value)} | ${r.ratio.toFixed(3)} |`),
    '',
    '## Cases',
    '',
    '- **otlp_http_protobuf_ingest**: a second process posts OTLP/HTTP protobuf requests of 100 spans (10% decision',
    '  spans, realistic attributes) over loopback, 8 at a time, to the collector running the default pipeline',
    '  (otlp receiver → decision processor → decisions exporter into SQLite). Every request is distinct, so every',
    '  decision is a new ledger row and record. Measured from the first request to the last 200 response. Baseline:',
    '  protobufjs decode-only of the same bodies in the benchmark process (one core).',
    '',
  ];
  return lines.join('\n');
}
