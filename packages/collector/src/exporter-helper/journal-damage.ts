import type { DamagedRegion, DecodedSegment } from './journal-format.js';

/** A journal segment as read at start. */
export interface StoredSegment<S> {
  segment: S;
  /** Bytes in the file. */
  size: number;
  decoded: DecodedSegment;
}

/**
 * What a damaged region of the journal means:
 * - `torn`: the end of the last segment, cut short by a crash during the write. It was never
 *   acknowledged (a request is acknowledged only after its frame was synced): nothing is lost.
 * - `delivered`: the requests that were there had been delivered already (their ids are in the
 *   acknowledgement files), or the ids around it leave room for none: nothing is lost.
 * - `lost`: queued, acknowledged requests that can no longer be read. `requests` is exact when
 *   the ids around the damage tell how many were there, else a lower bound.
 */
export type DamageVerdict<S> = {
  segment: S;
  format: 1 | 2;
  region: DamagedRegion;
} & ({ kind: 'torn' } | { kind: 'delivered'; ids?: IdRange } | { kind: 'lost'; requests: number; exact: boolean; ids?: IdRange; items?: number });

/** Ids from `first` to `last`, both included. */
export interface IdRange {
  first: number;
  last: number;
}

/**
 * Judges every damaged region of the segments (oldest first). Request ids grow by one per
 * appended request, so a stretch whose headers are unreadable held the ids between the intact
 * frames around it; those in the acknowledgement files were delivered, the others are lost.
 */
export function judgeDamage<S>(stored: ReadonlyArray<StoredSegment<S>>, acked: ReadonlySet<number>): Array<DamageVerdict<S>> {
  // Frames and damaged regions in journal order, to find the known ids around each region.
  type Entry = { id: number } | { stored: StoredSegment<S>; region: DamagedRegion; last: boolean };
  const entries: Entry[] = [];
  let lastWithData = -1;
  stored.forEach((s, index) => {
    if (s.size > 0) lastWithData = index;
  });
  stored.forEach((s, index) => {
    const inOrder: Array<{ offset: number; entry: Entry }> = [
      ...s.decoded.frames.map((f) => ({ offset: f.bodyOffset, entry: { id: f.id } })),
      ...s.decoded.damaged.map((region) => ({ offset: region.offset, entry: { stored: s, region, last: index === lastWithData } })),
    ];
    inOrder.sort((a, b) => a.offset - b.offset);
    for (const { entry } of inOrder) entries.push(entry);
  });
  const idOf = (entry: Entry): number | undefined => ('id' in entry ? entry.id : entry.region.frame?.id);
  const before: Array<number | undefined> = [];
  let previous: number | undefined;
  for (const entry of entries) {
    before.push(previous);
    previous = idOf(entry) ?? previous;
  }
  const after: Array<number | undefined> = new Array(entries.length);
  let following: number | undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    after[i] = following;
    following = idOf(entries[i]) ?? following;
  }

  const verdicts: Array<DamageVerdict<S>> = [];
  entries.forEach((entry, i) => {
    if ('id' in entry) return;
    const { stored: s, region, last } = entry;
    const base = { segment: s.segment, format: s.decoded.format, region };
    if (region.incomplete && last) {
      verdicts.push({ ...base, kind: 'torn' });
      return;
    }
    if (region.frame) {
      const ids = { first: region.frame.id, last: region.frame.id };
      verdicts.push(
        acked.has(region.frame.id) ? { ...base, kind: 'delivered', ids } : { ...base, kind: 'lost', requests: 1, exact: true, ids, items: region.frame.items },
      );
      return;
    }
    const [low, high] = [before[i], after[i]];
    if (low !== undefined && high !== undefined && high <= low + 1) {
      verdicts.push({ ...base, kind: 'delivered' });
      return;
    }
    if (low !== undefined && high !== undefined) {
      const ids = { first: low + 1, last: high - 1 };
      let unacked = 0;
      for (let id = ids.first; id <= ids.last; id++) if (!acked.has(id)) unacked += 1;
      verdicts.push(unacked === 0 ? { ...base, kind: 'delivered', ids } : { ...base, kind: 'lost', requests: unacked, exact: true, ids });
      return;
    }
    // No intact frame on one side (or ids that do not leave room): count the markers seen.
    verdicts.push({ ...base, kind: 'lost', requests: region.atLeastFrames, exact: false });
  });
  return verdicts;
}
