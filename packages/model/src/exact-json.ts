import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';

/**
 * JSON that keeps integers beyond 2^53 exact, the one parse and the one stringify for every
 * JSON input and output of the project (request bodies, stored records and events, API answers,
 * CLI output).
 *
 * In memory such an integer is a bigint; in JSON text it is a plain number written with all its
 * digits (`9007199254740993`), as the client that sent it wrote it. Every other number is a
 * double as JSON.parse gives it, so the text of a value survives parse → stringify unchanged:
 * a double written by JSON.stringify that reads back as an unsafe integer literal (2^60 is
 * written `1152921504606847000`) becomes a bigint of those very digits and is written back the
 * same, which keeps the ledger's hashes of old rows verifying.
 *
 * Both directions use the native JSON functions unless a big integer is there: parsing pays for
 * the lossless parser only when the text holds a number literal of 16 or more digits (every
 * safe integer has at most 16, most far fewer), stringifying only when JSON.stringify threw on
 * a bigint.
 */

/** A number literal of 16 or more digits, where a JSON value may start. */
const LONG_NUMBER_LITERAL = /[:,[]\s*-?\d{16}/;

/** JSON.parse, but integer literals beyond Number.MAX_SAFE_INTEGER become exact bigints. */
export function parseJsonExact(text: string): unknown {
  if (!LONG_NUMBER_LITERAL.test(text) && !startsWithLongNumber(text)) return JSON.parse(text);
  return parseLossless(text, null, { parseNumber: parseNumberLiteral, onDuplicateKey: lastValueWins });
}

/** JSON.stringify, but a bigint is written as the number it is (all its digits). */
export function stringifyJsonExact(value: unknown, space?: number | string): string {
  try {
    return JSON.stringify(value, null, space);
  } catch (error) {
    // V8: "Do not know how to serialize a BigInt"; circular structures throw a TypeError too.
    if (!(error instanceof TypeError) || !error.message.includes('BigInt')) throw error;
    // lossless-json writes a bigint as its decimal digits and otherwise follows JSON.stringify.
    return stringifyLossless(value, null, space) ?? 'null';
  }
}

function parseNumberLiteral(literal: string): number | bigint {
  const number = Number(literal);
  if (Number.isSafeInteger(number) || !INTEGER_LITERAL.test(literal)) return number;
  return BigInt(literal);
}

const INTEGER_LITERAL = /^-?\d+$/;

/** JSON.parse keeps the last of duplicate keys; lossless-json would throw. */
function lastValueWins(info: { newValue: unknown }): unknown {
  return info.newValue;
}

function startsWithLongNumber(text: string): boolean {
  return /^\s*-?\d{16}/.test(text);
}
