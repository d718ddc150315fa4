import { openStore } from '@decision-trace/store';

/** Exit 0 when every tenant's chain is intact; 1 naming the first broken row otherwise. */
export async function verifyCommand(options: { storage: string; json?: boolean }): Promise<void> {
  const store = await openStore(options.storage);
  try {
    const result = await store.verifyLedger();
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
