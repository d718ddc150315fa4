/**
 * Splits a decision type into its name and optional version suffix.
 *
 * The suffix is the last dot-separated segment when it is `v` followed by digits, with any
 * number of further `.digits` or `_digits` parts: `refund.approve.v2` → (`refund.approve`,
 * `v2`), `pricing.quote.v1.2` → (`pricing.quote`, `v1.2`), `kyc.check.v3_1` → (`kyc.check`,
 * `v3_1`). Minor parts belong to the version because a type name segment is never purely
 * numeric in practice, while `v1.2` is a common way to write a minor version. The `v` must be
 * lowercase and something must precede the suffix (`v2` alone is a type named `v2`).
 * Surrounding whitespace is ignored; an empty input has neither type nor version.
 */
export interface TypeVersion {
  type: string | null;
  version: string | null;
}

const VERSION_SUFFIX = /^(.+?)\.(v\d+(?:[._]\d+)*)$/;

export function parseTypeVersion(raw: string | null | undefined): TypeVersion {
  if (typeof raw !== 'string') return { type: null, version: null };
  const trimmed = raw.trim();
  if (trimmed === '') return { type: null, version: null };
  const match = VERSION_SUFFIX.exec(trimmed);
  if (match === null) return { type: trimmed, version: null };
  return { type: match[1]!, version: match[2]! };
}
