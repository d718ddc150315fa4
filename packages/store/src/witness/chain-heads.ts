/** A chain's last position: the seq of its newest row and that row's hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** What a witness saw: each tenant's ledger head and the audit log's. */
export interface ChainHeads {
  ledger: Map<string, ChainHead>;
  audit: ChainHead | null;
}

export function emptyChainHeads(): ChainHeads {
  return { ledger: new Map(), audit: null };
}
