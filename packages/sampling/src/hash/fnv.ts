/**
 * FNV-1a hashes over a trace id's 16 bytes, as the OpenTelemetry Collector's samplers use them:
 * the 32-bit form with a 4-byte little-endian seed (probabilistic_sampler `hash_seed`), the
 * 64-bit form with a string salt (tail_sampling `probabilistic`). Pure arithmetic, no buffers.
 */
const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

export function fnv1a32TraceId(seed: number, traceId: string): number {
  let hash = FNV32_OFFSET;
  for (let i = 0; i < 4; i++) hash = Math.imul(hash ^ ((seed >>> (8 * i)) & 0xff), FNV32_PRIME);
  for (let i = 0; i < 32; i += 2) hash = Math.imul(hash ^ hexByte(traceId, i), FNV32_PRIME);
  return hash >>> 0;
}

const FNV64_OFFSET = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** Precomputes the salt's part of the hash once per policy. */
export function fnv1a64Seeded(salt: string): bigint {
  let hash = FNV64_OFFSET;
  for (const byte of new TextEncoder().encode(salt)) hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK64;
  return hash;
}

export function fnv1a64TraceId(saltState: bigint, traceId: string): bigint {
  let hash = saltState;
  for (let i = 0; i < 32; i += 2) hash = ((hash ^ BigInt(hexByte(traceId, i))) * FNV64_PRIME) & MASK64;
  return hash;
}

function hexByte(hex: string, index: number): number {
  return (hexDigit(hex.charCodeAt(index)) << 4) | hexDigit(hex.charCodeAt(index + 1));
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return 0;
}
