import { fnv1a64Seeded, fnv1a64TraceId } from '../../hash/fnv.js';
import type { TraceData } from '../trace-data.js';
import type { PolicyDecision, PolicyEvaluator } from './policy.js';

const DEFAULT_HASH_SALT = 'default-hash-seed';
const MAX_UINT64 = 0xffffffffffffffffn;

/**
 * `probabilistic`: FNV-1a 64 of salt + trace id at or below percentage × 2^64, the Collector's
 * tail-sampling hash, so the same trace ids are kept by both.
 */
export class ProbabilisticPolicy implements PolicyEvaluator {
  readonly adjustedCount: number;
  private readonly threshold: bigint;
  private readonly salt: bigint;

  constructor(config: { hash_salt: string; sampling_percentage: number }) {
    const ratio = Math.min(1, Math.max(0, config.sampling_percentage / 100));
    this.threshold = ratio >= 1 ? MAX_UINT64 : thresholdOf(ratio);
    this.salt = fnv1a64Seeded(config.hash_salt === '' ? DEFAULT_HASH_SALT : config.hash_salt);
    this.adjustedCount = ratio === 0 ? 0 : 1 / ratio;
  }

  evaluate(trace: TraceData): PolicyDecision {
    return fnv1a64TraceId(this.salt, trace.traceId) <= this.threshold ? 'sampled' : 'not_sampled';
  }
}

/**
 * (2^64 - 1) × ratio as Go's big.Float computes it (product rounded to 64 significant bits,
 * nearest-even, then truncated), so thresholds agree bit for bit with the Collector's.
 */
function thresholdOf(ratio: number): bigint {
  let mantissa = ratio;
  let exponent = 0n;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2;
    exponent++;
  }
  const numerator = MAX_UINT64 * BigInt(mantissa);
  const denominator = 1n << exponent;
  const integerPart = numerator / denominator;
  const shift = BigInt(Math.max(0, 64 - integerPart.toString(2).length + (integerPart === 0n ? 1 : 0)));
  const scaled = numerator << shift;
  let quotient = scaled / denominator;
  const twiceRemainder = (scaled % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n)) quotient++;
  const result = quotient >> shift;
  return result > MAX_UINT64 ? MAX_UINT64 : result;
}
