// Wire builders for OTLP requests our encoder and protobufjs would not write (unknown fields,
// repeated keys, a scope field twice): the tests that need such bytes build them field by field.

/** A protobuf varint. */
export function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 127) {
    out.push((value & 127) | 128);
    value >>>= 7;
  }
  out.push(value);
  return out;
}

/** A length-delimited field (wire type 2): a string or nested message bytes. */
export function field(number: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from(varint((number << 3) | 2)), Buffer.from(varint(bytes.length)), bytes]);
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
