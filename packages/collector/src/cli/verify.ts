import { readWitnessFile, type LedgerProblem, type LedgerVerification } from '@decision-trace/store';
import { CommandProgress } from './command-progress.js';
import { MissingStoreError, openExistingStore } from './existing-store.js';

/** Exit codes: 0 everything intact, 1 something broken (the first problem is named), 2 no store or an unusable witness file. */
const EXIT_INTACT = 0;
const EXIT_BROKEN = 1;
const EXIT_USAGE = 2;

/**
 * Verifies the ledger's hash chains, every decision record against the fold of its ledger
 * events, the audit log's chain and, with `--witness`, that every chain head the witness file
 * saw is still in the store. Nothing is created when the store is not there. Progress of a long
 * run goes to stderr.
 */
export async function verifyCommand(options: { storage: string; witness?: string; json?: boolean }): Promise<void> {
  if (options.witness !== undefined) {
    try {
      readWitnessFile(options.witness);
    } catch (error) {
      process.stderr.write(`decision-trace verify: cannot use the witness file: ${(error as Error).message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
  }
  let store;
  try {
    // Inline: the rows are checked on this thread, which can then report their progress.
    store = await openExistingStore(options.storage, { thread: 'inline' });
  } catch (error) {
    if (!(error instanceof MissingStoreError)) throw error;
    process.stderr.write(`decision-trace verify: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
    return;
  }
  const progress = new CommandProgress(process.stderr, { label: { activity: 'verifying', command: 'verify', unit: 'ledger rows' } });
  try {
    let reported = 0;
    const result = await store.verifyLedger({
      ...(options.witness === undefined ? {} : { witness: options.witness }),
      onProgress: (checked) => {
        progress.advance(checked - reported);
        reported = checked;
      },
    });
    progress.finish();
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(describe(result, options.witness));
    process.exitCode = result.ok ? EXIT_INTACT : EXIT_BROKEN;
  } finally {
    await store.close();
  }
}

function describe(result: LedgerVerification, witness: string | undefined): string {
  if (result.ok) {
    const against = witness === undefined ? '' : `; every chain head of ${witness} is present`;
    return `ledger intact: ${result.checked} rows verified; decision records match their events; audit log intact${against}\n`;
  }
  return `${brokenLine(result.first_broken!)}\n${result.checked} rows checked before it\n`;
}

function brokenLine(b: LedgerProblem): string {
  switch (b.kind) {
    case 'record':
      return `decision record BROKEN (tenant ${b.tenant_id}, decision ${b.decision_id}): ${b.reason}`;
    case 'audit':
      return `audit log BROKEN at entry ${b.seq} (row ${b.row}): ${b.reason}`;
    case 'witness':
      return `witness MISMATCH (${b.tenant_id === '' ? 'audit log' : `tenant ${b.tenant_id}`}, seq ${b.seq}): ${b.reason}`;
    default:
      return `ledger BROKEN at row ${b.row} (tenant ${b.tenant_id}, seq ${b.seq}, event ${b.event_id}): ${b.reason}`;
  }
}
