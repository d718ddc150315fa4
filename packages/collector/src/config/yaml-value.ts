import { parseDocument } from 'yaml';

/**
 * What a config source holds, read the way the OpenTelemetry Collector's confmap reads what a
 * provider retrieved: YAML when it parses as YAML, else the text as a string; a YAML string is
 * kept as the raw text (quotes included), as confmap keeps it. `text` is what an embedded
 * reference (`host-${env:X}`) splices in.
 */
export interface Retrieved {
  value: unknown;
  text: string;
}

export function retrievedFromYaml(text: string): Retrieved {
  const goInteger = goYamlInteger(text);
  if (goInteger !== undefined) return { value: goInteger, text };
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) return { value: text, text };
  const value = document.toJS({ maxAliasCount: 100 }) ?? null;
  if (typeof value === 'string') return { value: text, text };
  return { value, text };
}

/**
 * Go's YAML (yaml.v3, which the Collector uses) reads a plain scalar as an integer the way Go's
 * strconv.ParseInt(s, 0, 64) does after dropping `_`: `1_000`, `0b101`, `017` (octal). YAML 1.2,
 * which this parser follows, reads `1_000` and `0b101` as strings and `017` as 17.
 */
function goYamlInteger(text: string): number | undefined {
  const plain = text.trim();
  const match = /^([-+]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(plain);
  // Only the forms the two read differently: with `_`, binary, or a leading 0 (octal in Go).
  if (!match || !(plain.includes('_') || /^[-+]?0[0-7bB]/.test(plain))) return undefined;
  const digits = match[2]!.replace(/_/g, '');
  let value: number;
  if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (/^0[oO]/.test(digits)) value = parseInt(digits.slice(2), 8);
  else if (/^0[bB]/.test(digits)) value = parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith('0')) value = parseInt(digits.slice(1), 8);
  else value = parseInt(digits, 10);
  if (!Number.isSafeInteger(value)) return undefined;
  return match[1] === '-' ? -value : value;
}
