/**
 * OTEP 235 consistent probability sampling arithmetic. A threshold T and a randomness value R
 * are 56-bit unsigned integers; an item is sampled when R >= T, so T = (1 - p) * 2^56.
 *
 * Both are kept as 14-digit lowercase hex strings: for equal-length hex strings the string
 * order is the numeric order, so the per-span comparison needs neither bigint nor allocation.
 * The arithmetic that creates thresholds runs once per configuration (or per incoming `th`).
 */
export const HEX_DIGITS = 14;
export const MAX_ADJUSTED_COUNT = 2n ** 56n;
export const MIN_SAMPLING_PROBABILITY = 2 ** -56;
/** T = 0: every randomness value passes. */
export const ALWAYS_SAMPLE_THRESHOLD = '0'.repeat(HEX_DIGITS);
/**
 * T = 2^56 does not fit 14 digits; a 15-character sentinel compares greater than every
 * 14-digit randomness, so `shouldSample` stays one string comparison.
 */
export const NEVER_SAMPLE_THRESHOLD = '1' + '0'.repeat(HEX_DIGITS);

const HEX_PATTERN = /^[0-9a-f]+$/;

export function shouldSample(threshold: string, randomness: string): boolean {
  if (threshold === NEVER_SAMPLE_THRESHOLD) return false;
  return randomness >= threshold;
}

export function thresholdToUnsigned(threshold: string): bigint {
  if (threshold === NEVER_SAMPLE_THRESHOLD) return MAX_ADJUSTED_COUNT;
  return BigInt(`0x${threshold}`);
}

export function unsignedToThreshold(value: bigint): string {
  if (value >= MAX_ADJUSTED_COUNT) return NEVER_SAMPLE_THRESHOLD;
  if (value < 0n) throw new RangeError('a threshold cannot be negative');
  return value.toString(16).padStart(HEX_DIGITS, '0');
}

/** Sampling probability of a threshold: (2^56 - T) / 2^56. */
export function thresholdProbability(threshold: string): number {
  return Number(MAX_ADJUSTED_COUNT - thresholdToUnsigned(threshold)) / Number(MAX_ADJUSTED_COUNT);
}

/** How many items each item sampled at this threshold stands for: 1/p; 0 when nothing passes. */
export function thresholdAdjustedCount(threshold: string): number {
  const probability = thresholdProbability(threshold);
  return probability === 0 ? 0 : 1 / probability;
}

/**
 * The threshold for probability p rounded to `precision` hex digits (1..14), with extra digits
 * near 0 and 1 so the relative error stays small there (as the OpenTelemetry Collector does).
 * Returns undefined for p outside [2^-56, 1].
 */
export function probabilityToThreshold(probability: number, precision = 4): string | undefined {
  if (!(probability >= MIN_SAMPLING_PROBABILITY && probability <= 1)) return undefined;
  if (!Number.isInteger(precision) || precision < 1 || precision > HEX_DIGITS) {
    throw new RangeError(`sampling precision must be 1..${HEX_DIGITS}, got ${precision}`);
  }
  if (probability === 1) return ALWAYS_SAMPLE_THRESHOLD;
  const extraNearZero = Math.floor(-frexpExponent(probability) / 4);
  const extraNearOne = Math.floor(-frexpExponent(1 - probability) / 4);
  const digits = Math.min(HEX_DIGITS, Math.max(precision + extraNearZero, precision + extraNearOne));
  // p * 2^56 is exact in a double for every p that is itself a double (a power-of-two scale).
  const scaled = BigInt(Math.round(probability * 2 ** 56));
  let threshold = MAX_ADJUSTED_COUNT - scaled;
  const shift = BigInt(4 * (HEX_DIGITS - digits));
  if (shift > 0n) {
    threshold = ((threshold + (1n << (shift - 1n))) >> shift) << shift;
  }
  return unsignedToThreshold(threshold);
}

/** The exponent e of x = f * 2^e with f in [0.5, 1), as C's frexp. */
function frexpExponent(x: number): number {
  if (x === 0) return 0;
  return Math.floor(Math.log2(Math.abs(x))) + 1;
}

/** The `th` field: the threshold's hex digits without trailing zeros, `0` for always-sample. */
export function encodeThreshold(threshold: string): string {
  if (threshold === NEVER_SAMPLE_THRESHOLD) throw new RangeError('a never-sample threshold has no th encoding');
  const trimmed = threshold.replace(/0+$/, '');
  return trimmed === '' ? '0' : trimmed;
}

/** Parses a `th` value (1..14 hex digits, right-padded with zeros); undefined when malformed. */
export function parseThreshold(th: string): string | undefined {
  if (th.length < 1 || th.length > HEX_DIGITS || !HEX_PATTERN.test(th)) return undefined;
  return th.padEnd(HEX_DIGITS, '0');
}

/** Parses an `rv` value (exactly 14 hex digits); undefined when malformed. */
export function parseRandomness(rv: string): string | undefined {
  if (rv.length !== HEX_DIGITS || !HEX_PATTERN.test(rv)) return undefined;
  return rv;
}

/** W3C Trace Context level 2: the low 56 bits of the trace id are random. */
export function randomnessFromTraceId(traceId: string): string | undefined {
  if (traceId.length !== 32 || traceId === '0'.repeat(32)) return undefined;
  return traceId.slice(32 - HEX_DIGITS).toLowerCase();
}

export function compareThresholds(a: string, b: string): number {
  if (a === b) return 0;
  if (a === NEVER_SAMPLE_THRESHOLD) return 1;
  if (b === NEVER_SAMPLE_THRESHOLD) return -1;
  return a < b ? -1 : 1;
}
