import { parseDocument, type DocumentOptions, type ParseOptions, type SchemaOptions, type ScalarTag } from 'yaml';

/**
 * Go's YAML (yaml.v3, which the Collector uses) reads a plain scalar as an integer the way Go's
 * strconv.ParseInt(s, 0, 64) does after dropping every `_`: `1_000`, `0b101`, `017` (octal),
 * `0o17`, `0x1F`. YAML 1.2, which this parser follows otherwise, reads `1_000` and `0b101` as
 * strings and `017` as 17: this tag, tried before the others, reads them as Go does.
 */
const goInteger: ScalarTag = {
  identify: (value) => typeof value === 'number' && Number.isInteger(value),
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/,
  resolve(text) {
    const negative = text.startsWith('-');
    const digits = text.replace(/^[-+]/, '').replace(/_/g, '');
    let value: number;
    if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
    else if (/^0[oO]/.test(digits)) value = parseInt(digits.slice(2), 8);
    else if (/^0[bB]/.test(digits)) value = parseInt(digits.slice(2), 2);
    else if (digits.length > 1 && digits.startsWith('0')) value = parseInt(digits.slice(1), 8);
    else value = parseInt(digits, 10);
    return negative ? -value : value;
  },
};

/**
 * How config YAML is parsed, as close to the Collector's Go YAML as it matters: its integer
 * forms, `<<` merge keys (yaml.v3 applies them; YAML 1.2 has none), duplicate keys an error.
 */
export const CONFIG_YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  uniqueKeys: true,
  merge: true,
  customTags: (tags) => [goInteger, ...tags],
};

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
  const document = parseDocument(text, CONFIG_YAML_OPTIONS);
  if (document.errors.length > 0) return { value: text, text };
  const value = document.toJS({ maxAliasCount: 100 }) ?? null;
  if (typeof value === 'string') return { value: text, text };
  return { value, text };
}
