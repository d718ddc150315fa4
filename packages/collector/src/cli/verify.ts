import { CommandProgress } from './command-progress.js';
import { MissingStoreError, openExistingStore } from './existing-store.js';

/**
 * Exit 0 when every tenant's chain is intact; 1 naming the first broken row otherwise; 2 when
 * the store is not there (nothing is created). Progress of a long run goes to stderr.
 */
export async function verifyCommand(options: { storage: string; json?: boolean }): Promise<void> {
  let store;
  try {
    // Inline: the rows are checked on this thread, which can then report their progress.
    store = await openExistingStore(options.storage, { thread: 'inline' });
  } catch (error) {
    if (!(error instanceof MissingStoreError)) throw error;
    process.stderr.write(`decision-trace verify: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  const progress = new CommandProgress(process.stderr, { label: { activity: 'verifying', command: 'verify', unit: 'ledger rows' } });
  try {
    let reported = 0;
    const result = await store.verifyLedger({
      onProgress: (checked) => {
        progress.advance(checked - reported);
        reported = checked;
      },
    });
    progress.finish();
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else if (result.ok) process.stdout.write(`ledger intact: ${result.checked} rows verified\n`);
    else {
      const b = result.first_broken!;
      process.stdout.write(
        `ledger BROKEN at row ${b.row} (tenant ${b.tenant_id}, seq ${b.seq}, event ${b.event_id}): ${b.reason}\n` +
          `${result.checked} rows checked before it\n`,
      );
    }
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}
