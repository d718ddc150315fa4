import { readFileSync } from 'node:fs';
import type { ChainHead, ChainHeads } from './chain-heads.js';

const HASH = /^[0-9a-f]{64}$/;

/**
 * The heads a witness file saw: per chain the one with the highest seq (the file is
 * append-only, and a chain only grows). Throws for a file that cannot be read or a line that
 * is not a witness line, except a torn last line (a crash during a write), which is ignored.
 */
export function readWitnessFile(path: string): ChainHeads {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const heads: ChainHeads = { ledger: new Map(), audit: null };
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const torn = index === lines.length - 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      if (torn) return;
      throw new Error(`witness file ${path}, line ${index + 1}: not JSON`);
    }
    const where = `witness file ${path}, line ${index + 1}`;
    if (!isObject(parsed)) throw new Error(`${where}: not a witness line`);
    if (parsed.ledger !== undefined) {
      if (!isObject(parsed.ledger)) throw new Error(`${where}: ledger is not an object of heads`);
      for (const [tenant, head] of Object.entries(parsed.ledger)) {
        heads.ledger.set(tenant, newest(heads.ledger.get(tenant), chainHead(head, `${where}: ledger head of ${tenant}`)));
      }
    }
    if (parsed.audit !== undefined) heads.audit = newest(heads.audit ?? undefined, chainHead(parsed.audit, `${where}: audit head`));
  });
  return heads;
}

function chainHead(value: unknown, where: string): ChainHead {
  if (!isObject(value) || !Number.isSafeInteger(value.seq) || (value.seq as number) < 1 || typeof value.hash !== 'string' || !HASH.test(value.hash)) {
    throw new Error(`${where} is not {seq, hash}`);
  }
  return { seq: value.seq as number, hash: value.hash };
}

function newest(current: ChainHead | undefined, head: ChainHead): ChainHead {
  return current === undefined || head.seq >= current.seq ? head : current;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
