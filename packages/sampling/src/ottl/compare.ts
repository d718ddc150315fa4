import type { CompareOp } from './ast.js';
import { compareStrings, typedKey, type OttlValue } from './values.js';

/**
 * OTTL's comparison rules (the Collector's ValueComparator): ints and doubles compare with each
 * other numerically; strings, bools (false < true), bytes, times and durations only with their
 * own kind; maps and slices only for equality, deeply and type for type; ids by identity. nil
 * equals only nil. Any comparison of two different kinds is false — except `!=`, which is true.
 */
export function compareValues(a: OttlValue, b: OttlValue, op: CompareOp): boolean {
  if (a === null && b === null) return op === '==' || op === '<=' || op === '>=';
  if (a === null) return compareValues(b, null, op);
  const invalid = op === '!=';
  switch (typeof a) {
    case 'boolean':
      return typeof b === 'boolean' ? ordered(Number(a) - Number(b), op) : invalid;
    case 'bigint':
      if (typeof b === 'bigint') return ordered(a < b ? -1 : a > b ? 1 : 0, op);
      if (typeof b === 'number') return numeric(Number(a), b, op);
      return invalid;
    case 'number':
      if (typeof b === 'number') return numeric(a, b, op);
      if (typeof b === 'bigint') return numeric(a, Number(b), op);
      return invalid;
    case 'string':
      return typeof b === 'string' ? ordered(compareStrings(a, b), op) : invalid;
  }
  if (a instanceof Uint8Array) {
    if (b === null) return op === '!=';
    return b instanceof Uint8Array ? ordered(Buffer.compare(a, b), op) : invalid;
  }
  if (b === null || typeof b !== 'object' || b instanceof Uint8Array) return invalid;
  switch (a.kind) {
    case 'time':
    case 'duration':
      return b.kind === a.kind ? ordered(a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0, op) : invalid;
    case 'map':
      if (b.kind !== 'map' || (op !== '==' && op !== '!=')) return invalid;
      return (typedKey({ m: a.entries }, 'm') === typedKey({ m: b.entries }, 'm')) === (op === '==');
    case 'slice':
      if (b.kind !== 'slice' || (op !== '==' && op !== '!=')) return invalid;
      return (typedKey({ s: a.items }, 's') === typedKey({ s: b.items }, 's')) === (op === '==');
    case 'trace_id':
    case 'span_id': {
      const same = b.kind === a.kind && b.hex === a.hex;
      return op === '==' ? same : op === '!=' ? !same : false;
    }
    default: {
      const same = b.kind === a.kind && b.ref === a.ref;
      return op === '==' ? same : op === '!=' ? !same : false;
    }
  }
}

function ordered(sign: number, op: CompareOp): boolean {
  switch (op) {
    case '==':
      return sign === 0;
    case '!=':
      return sign !== 0;
    case '<':
      return sign < 0;
    case '<=':
      return sign <= 0;
    case '>':
      return sign > 0;
    case '>=':
      return sign >= 0;
  }
}

/** Float comparison with IEEE semantics: NaN is unequal to everything, itself included. */
function numeric(a: number, b: number, op: CompareOp): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}
