// GET /v1/stats answers shaped for the trend charts (pure).

/**
 * Groups `stats.series` by type, then version: for each (type, version) the buckets it has
 * decisions in, and per outcome a line of { t (epoch ms), rate, count, weighted_count } points.
 * An outcome absent from a bucket where its (type, version) had decisions is a 0 rate there;
 * buckets without any decision of the (type, version) have no point (a gap, not a zero).
 */
export function trendSeries(stats) {
  const types = new Map();
  for (const s of stats.series ?? []) {
    const type = s.type ?? '(no type)';
    const version = s.version ?? '(no version)';
    if (!types.has(type)) types.set(type, new Map());
    const versions = types.get(type);
    if (!versions.has(version)) versions.set(version, { buckets: new Map(), outcomes: new Set() });
    const group = versions.get(version);
    const t = Date.parse(s.bucket_start);
    if (!group.buckets.has(t)) group.buckets.set(t, new Map());
    const outcome = s.outcome ?? '(none)';
    group.outcomes.add(outcome);
    group.buckets.get(t).set(outcome, s);
  }
  return [...types.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, versions]) => {
      const outcomes = [...new Set([...versions.values()].flatMap((g) => [...g.outcomes]))].sort();
      return {
        type,
        outcomes,
        versions: [...versions.entries()]
          .sort(([a], [b]) => compareVersions(a, b))
          .map(([version, group]) => {
            const times = [...group.buckets.keys()].sort((a, b) => a - b);
            return {
              version,
              total: sum(times.map((t) => sum([...group.buckets.get(t).values()].map((s) => s.count)))),
              lines: outcomes.map((outcome) => ({
                outcome,
                points: times.map((t) => {
                  const s = group.buckets.get(t).get(outcome);
                  return { t, rate: s?.rate ?? 0, count: s?.count ?? 0, weighted_count: s?.weighted_count ?? 0 };
                }),
              })),
            };
          }),
      };
    });
}

/** `by_outcome` as { type → { versions, outcomes, cell(version, outcome) } } for the comparison table. */
export function outcomeTable(byOutcome, type) {
  const rows = (byOutcome ?? []).filter((r) => (r.type ?? '(no type)') === type);
  const versions = [...new Set(rows.map((r) => r.version ?? '(no version)'))].sort(compareVersions);
  const outcomes = [...new Set(rows.map((r) => r.outcome ?? '(none)'))].sort();
  const cells = new Map(rows.map((r) => [`${r.version ?? '(no version)'}\u0000${r.outcome ?? '(none)'}`, r]));
  return { versions, outcomes, cell: (version, outcome) => cells.get(`${version}\u0000${outcome}`) ?? null };
}

/** v2 before v10: numeric parts compare as numbers. */
export function compareVersions(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** A bucket size that keeps a window to a readable number of points. */
export function bucketFor(windowMs) {
  const HOUR = 3_600_000;
  if (windowMs <= 6 * HOUR) return '15m';
  if (windowMs <= 2 * 24 * HOUR) return '1h';
  if (windowMs <= 8 * 24 * HOUR) return '6h';
  return '1d';
}

const BUCKET_MS = { '15m': 900_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '1d': 86_400_000 };

/**
 * Where a window ending now starts, moved back onto its bucket's grid (UTC): buckets then fall on
 * whole quarters, hours or days, and a window whose buckets are whole hours starting on the hour
 * is answered from the store's hourly roll-ups instead of every decision in it (at millions of
 * decisions a day, the difference between milliseconds and seconds). The window grows by less
 * than one bucket.
 */
export function windowStart(windowMs, nowMs) {
  const bucketMs = BUCKET_MS[bucketFor(windowMs)];
  return new Date(Math.floor((nowMs - windowMs) / bucketMs) * bucketMs).toISOString();
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}
