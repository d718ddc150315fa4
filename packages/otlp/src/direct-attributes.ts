import { noteIntegralDouble, type AttributeValue, type Attributes } from '@decision-trace/model';
import { decodeLosses } from './decode-losses.js';
import { setAttribute } from './set-attribute.js';
import { type BufferWireReader, enterMessage, leaveMessage, readBytesCopy, readInt64Integer, readString } from './wire-fields.js';

/**
 * Decodes OTLP attributes (KeyValue, AnyValue, ArrayValue, KeyValueList from
 * proto/opentelemetry/proto/common/v1/common.proto) from protobufjs's Reader straight into the
 * model's attribute values. Field numbers are cited from that file at each case.
 *
 * AnyValue's members are a oneof, but the tuned schema the reflective decoder used (see
 * proto-root.ts) kept every member present on the wire, and the walk after it took the first
 * present one in the order below. That order is the rank: a member replaces the value decoded
 * so far when its rank is lower, or when it is the same member again (last wins; arrays and
 * kvlists merge, as protobuf merges a repeated sub-message). Ranks only ever go down, so a
 * member that lost once can never win later, and its value is decoded (to fail as the
 * reflective decoder would) and dropped. A second, different member is counted in decodeLosses:
 * whichever wins, the decoded value no longer says what the bytes say.
 */
const STRING_VALUE = 0;
const INT_VALUE = 1;
const BOOL_VALUE = 2;
const DOUBLE_VALUE = 3;
const ARRAY_VALUE = 4;
const KVLIST_VALUE = 5;
const BYTES_VALUE = 6;
const NO_MEMBER = 7;

/**
 * The rank of the member the last `decodeAnyValue` call returned. A KeyValue whose `value`
 * appears twice merges the second AnyValue into the first, which needs it; a module variable
 * rather than a result object keeps the one-value case free of allocations.
 */
let decodedMemberRank = NO_MEMBER;

/** Decodes one KeyValue message and assigns it to `attributes`. */
export function decodeKeyValueInto(reader: BufferWireReader, depth: number, attributes: Attributes): void {
  const enclosingLimit = enterMessage(reader, depth);
  let key = '';
  let value: AttributeValue = null;
  let rank = NO_MEMBER;
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // string key = 1
        if (wireType !== 2) break;
        key = readString(reader);
        continue;
      case 2: // AnyValue value = 2
        if (wireType !== 2) break;
        value = decodeAnyValue(reader, depth + 1, rank, value);
        rank = decodedMemberRank;
        continue;
    }
    decodeLosses.count++;
    reader.skipType(wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  // A key seen before: the last value wins, the earlier one is left out. Looked up only when the
  // decode keeps the received bytes (decode-losses.ts).
  if (decodeLosses.tracking && attributes[key] !== undefined) decodeLosses.count++;
  setAttribute(attributes, key, value);
  if (typeof value === 'number') noteIntegralDouble(attributes, key, rank === DOUBLE_VALUE && Number.isSafeInteger(value));
}

/**
 * Decodes an AnyValue message merged into `value` (of member `rank`; NO_MEMBER and null for a
 * fresh one), and sets decodedMemberRank.
 */
function decodeAnyValue(reader: BufferWireReader, depth: number, rank: number, value: AttributeValue): AttributeValue {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    switch (tag >>> 3) {
      case 1: // string string_value = 1 (ranked first, so it always wins)
        if (wireType !== 2) break;
        if (rank !== NO_MEMBER && rank !== STRING_VALUE) decodeLosses.count++;
        value = readString(reader);
        rank = STRING_VALUE;
        continue;
      case 2: {
        // bool bool_value = 2
        if (wireType !== 0) break;
        const flag = reader.bool();
        if (rank !== NO_MEMBER && rank !== BOOL_VALUE) decodeLosses.count++;
        if (rank >= BOOL_VALUE) {
          value = flag;
          rank = BOOL_VALUE;
        }
        continue;
      }
      case 3: {
        // int64 int_value = 3
        if (wireType !== 0) break;
        const integer = readInt64Integer(reader);
        if (rank !== NO_MEMBER && rank !== INT_VALUE) decodeLosses.count++;
        if (rank >= INT_VALUE) {
          value = integer;
          rank = INT_VALUE;
        }
        continue;
      }
      case 4: {
        // double double_value = 4
        if (wireType !== 1) break;
        const double = reader.double();
        if (rank !== NO_MEMBER && rank !== DOUBLE_VALUE) decodeLosses.count++;
        if (rank >= DOUBLE_VALUE) {
          value = double;
          rank = DOUBLE_VALUE;
        }
        continue;
      }
      case 5: // ArrayValue array_value = 5
        if (wireType !== 2) break;
        if (rank !== NO_MEMBER && rank !== ARRAY_VALUE) decodeLosses.count++;
        if (rank === ARRAY_VALUE) {
          decodeArrayValue(reader, depth + 1, value as AttributeValue[]);
        } else {
          const values = decodeArrayValue(reader, depth + 1, []);
          if (rank > ARRAY_VALUE) {
            value = values;
            rank = ARRAY_VALUE;
          }
        }
        continue;
      case 6: // KeyValueList kvlist_value = 6
        if (wireType !== 2) break;
        if (rank !== NO_MEMBER && rank !== KVLIST_VALUE) decodeLosses.count++;
        if (rank === KVLIST_VALUE) {
          decodeKeyValueList(reader, depth + 1, value as Attributes);
        } else {
          const entries = decodeKeyValueList(reader, depth + 1, {});
          if (rank > KVLIST_VALUE) {
            value = entries;
            rank = KVLIST_VALUE;
          }
        }
        continue;
      case 7: {
        // bytes bytes_value = 7 (ranked last: it wins over nothing but itself)
        if (wireType !== 2) break;
        const bytes = readBytesCopy(reader);
        if (rank !== NO_MEMBER && rank !== BYTES_VALUE) decodeLosses.count++;
        if (rank >= BYTES_VALUE) {
          value = bytes;
          rank = BYTES_VALUE;
        }
        continue;
      }
    }
    decodeLosses.count++;
    reader.skipType(wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  decodedMemberRank = rank;
  return value;
}

/** Decodes an ArrayValue message, appending its elements to `values`. */
function decodeArrayValue(reader: BufferWireReader, depth: number, values: AttributeValue[]): AttributeValue[] {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    // repeated AnyValue values = 1
    if (tag >>> 3 === 1 && wireType === 2) {
      const value = decodeAnyValue(reader, depth + 1, NO_MEMBER, null);
      if (decodedMemberRank === DOUBLE_VALUE && Number.isSafeInteger(value)) noteIntegralDouble(values, values.length, true);
      values.push(value);
      continue;
    }
    decodeLosses.count++;
    reader.skipType(wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return values;
}

/** Decodes a KeyValueList message into `entries`. */
function decodeKeyValueList(reader: BufferWireReader, depth: number, entries: Attributes): Attributes {
  const enclosingLimit = enterMessage(reader, depth);
  while (reader.pos < reader.len) {
    const tag = reader.tag();
    const wireType = tag & 7;
    // repeated KeyValue values = 1
    if (tag >>> 3 === 1 && wireType === 2) {
      decodeKeyValueInto(reader, depth + 1, entries);
      continue;
    }
    decodeLosses.count++;
    reader.skipType(wireType, depth, tag >>> 3);
  }
  leaveMessage(reader, enclosingLimit);
  return entries;
}
