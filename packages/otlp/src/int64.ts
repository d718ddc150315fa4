/**
 * 64-bit integer conversions between protobufjs's Long values (two 32-bit halves) and the
 * model's bigint / number, done on the halves so no decimal string is ever built.
 */

/** The part of a protobufjs Long (or long.js Long) that the conversions need. */
export interface LongHalves {
  low: number;
  high: number;
}

const TWO_POW_32 = 4294967296;
/** Largest high half for which high * 2^32 + low stays exactly representable. */
const SAFE_HIGH_LIMIT = 0x200000;
const UINT64_MAX = 0xffffffffffffffffn;

export function unsignedLongToBigInt(value: LongHalves | number): bigint {
  if (typeof value === 'number') return BigInt(value);
  const high = value.high >>> 0;
  const low = value.low >>> 0;
  if (high < SAFE_HIGH_LIMIT) return BigInt(high * TWO_POW_32 + low);
  return (BigInt(high) << 32n) | BigInt(low);
}

/** A signed int64 as a number when that is exact, else as a bigint. */
export function signedLongToInteger(value: LongHalves | number): number | bigint {
  if (typeof value === 'number') return value;
  const high = value.high | 0;
  const low = value.low >>> 0;
  if (high >= -SAFE_HIGH_LIMIT && high < SAFE_HIGH_LIMIT) {
    const exact = high * TWO_POW_32 + low;
    // -2^53 itself is exact but not a safe integer; the model wants a bigint there.
    if (exact !== -9007199254740992) return exact;
  }
  return (BigInt(high) << 32n) + BigInt(low);
}

/** Splits a bigint (unsigned or signed, two's complement) into halves for the protobufjs writer. */
export function bigIntToLongHalves(value: bigint): LongHalves {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0 };
}

export function isUint64(value: bigint): boolean {
  return value >= 0n && value <= UINT64_MAX;
}
