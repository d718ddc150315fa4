import { OttlEvaluationError } from './errors.js';

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration: "300ms", "-1.5h", "2h45m"; a unit on every number but a lone "0". */
export function parseGoDuration(text: string): bigint {
  const invalid = () => new OttlEvaluationError(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();
  let total = 0n;
  while (rest !== '') {
    const number = /^(\d*)(\.(\d*))?/.exec(rest)!;
    const whole = number[1];
    const fraction = number[3] ?? '';
    if (whole === '' && fraction === '') throw invalid();
    rest = rest.slice(number[0].length);
    const unitMatch = /^[^\d.]+/.exec(rest);
    if (unitMatch === null) throw new OttlEvaluationError(`time: missing unit in duration ${JSON.stringify(text)}`);
    const unit = DURATION_UNITS[unitMatch[0]];
    if (unit === undefined) throw new OttlEvaluationError(`time: unknown unit ${JSON.stringify(unitMatch[0])} in duration ${JSON.stringify(text)}`);
    rest = rest.slice(unitMatch[0].length);
    let value = BigInt(whole || '0') * unit;
    if (fraction !== '') {
      // As Go: the fraction's digits as an integer times unit/10^digits, in float64, truncated.
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / 10 ** fraction.length)));
    }
    total += value;
    if (total > (1n << 63n) - (negative ? 0n : 1n)) throw invalid();
  }
  return negative ? -total : total;
}
