import type { ChainHeads } from './chain-heads.js';
import { readWitnessFile } from './witness-file.js';
import type { WitnessWriter } from './witness-writer.js';

/**
 * The chain heads a verification checks: the file's (`path`), else those of the witness the
 * store writes, after writing what it holds; null without either.
 */
export function witnessedHeads(path: string | undefined, attached: WitnessWriter | null): ChainHeads | null {
  if (path !== undefined && path !== '') return readWitnessFile(path);
  if (attached === null) return null;
  attached.flush();
  return readWitnessFile(attached.path);
}

/** A store handle writes one witness file at most. */
export function refuseSecondWitness(attached: WitnessWriter | null): void {
  if (attached !== null) throw new Error(`this store already writes the witness file ${attached.path}`);
}
