/** Numeric options: the default when absent, a RangeError when out of range. */
export function positive(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`expected a positive number, got ${value}`);
  return value;
}

export function nonNegative(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`expected a number ≥ 0, got ${value}`);
  return value;
}
