const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.(\d+))?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Microseconds since the epoch of an RFC 3339 instant, or null. Microseconds because spans
 * are often shorter than a millisecond, and they still fit exactly in a double.
 * An offset is required: a zone-less time would be read in the host's zone.
 */
export function rfc3339ToEpochMicros(value: string): number | null {
  const match = RFC3339.exec(value);
  if (match === null) return null;
  const millis = Date.parse(value);
  if (Number.isNaN(millis)) return null;
  const fraction = match[1] ?? '';
  const subMillis = fraction.length > 3 ? Number(fraction.slice(3, 6).padEnd(3, '0')) : 0;
  return millis * 1000 + subMillis;
}
