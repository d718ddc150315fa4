/**
 * A JSON snapshot of any value, taken at the moment of capture so later mutation of the
 * original changes nothing. Unlike `JSON.stringify` it never throws: BigInt becomes its decimal
 * text (as the model writes OTLP int64s), an Error its name, message and own fields, a Map an
 * object (or [key, value] pairs when keys are not text), a Set an array, bytes base64, a
 * circular reference the text "[Circular]", and a getter that throws "[Unserializable]".
 * Class instances keep their own enumerable fields, as JSON does. Structural limits keep one
 * runaway value from growing a record without bound.
 */
export interface SnapshotLimits {
  /** Nesting below this depth is replaced by "[MaxDepth]". */
  maxDepth: number;
  /** Longer strings are cut and end with "…". */
  maxStringLength: number;
  /** Longer arrays keep their first items and a "[… N more]" marker. */
  maxArrayLength: number;
  /** Objects with more keys keep the first ones and a "…" key counting the rest. */
  maxObjectKeys: number;
}

export const DEFAULT_SNAPSHOT_LIMITS: SnapshotLimits = Object.freeze({
  maxDepth: 16,
  maxStringLength: 16_384,
  maxArrayLength: 1_000,
  maxObjectKeys: 1_000,
});

export const CIRCULAR = '[Circular]';
export const UNSERIALIZABLE = '[Unserializable]';
export const MAX_DEPTH = '[MaxDepth]';

/** The JSON text of a snapshot of `value`; `undefined` is written as null. */
export function snapshotJson(value: unknown, limits: SnapshotLimits = DEFAULT_SNAPSHOT_LIMITS): string {
  // Scalars are most evidence values; they skip the walk.
  switch (typeof value) {
    case 'string':
      if (value.length <= limits.maxStringLength) return JSON.stringify(value);
      break;
    case 'number':
      if (Number.isFinite(value)) return String(value);
      break;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'null';
  }
  try {
    return JSON.stringify(snapshotValue(value, limits)) ?? 'null';
  } catch {
    return JSON.stringify(UNSERIALIZABLE);
  }
}

/** A plain JSON value (objects, arrays, strings, finite numbers, booleans, null). */
export function snapshotValue(value: unknown, limits: SnapshotLimits = DEFAULT_SNAPSHOT_LIMITS): unknown {
  return new SnapshotWalker(limits).walk(value, 0);
}

class SnapshotWalker {
  /** The objects between the root and the value being walked: a repeat here is a cycle. */
  private readonly ancestors: object[] = [];

  constructor(private readonly limits: SnapshotLimits) {}

  walk(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        return this.text(value);
      case 'number':
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
        return value;
      case 'bigint':
        return value.toString(10);
      case 'undefined':
        return null;
      case 'symbol':
        return value.toString();
      case 'function':
        return `[Function${value.name ? ` ${value.name}` : ''}]`;
    }
    if (value === null) return null;
    const object = value as object;
    if (this.ancestors.includes(object)) return CIRCULAR;
    if (depth >= this.limits.maxDepth) return MAX_DEPTH;
    this.ancestors.push(object);
    try {
      return this.walkObject(object, depth + 1);
    } catch {
      return UNSERIALIZABLE;
    } finally {
      this.ancestors.pop();
    }
  }

  private walkObject(object: object, depth: number): unknown {
    if (Array.isArray(object)) return this.list(object, depth);
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
    if (object instanceof Error) return this.error(object, depth);
    if (object instanceof Map) return this.map(object, depth);
    if (object instanceof Set) return this.list([...object], depth);
    if (object instanceof Uint8Array) return this.text(Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64'));
    if (ArrayBuffer.isView(object)) return this.list(Array.from(object as unknown as ArrayLike<unknown>), depth);
    if (object instanceof ArrayBuffer) return this.text(Buffer.from(object).toString('base64'));
    if (object instanceof RegExp) return String(object);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      const replacement: unknown = toJSON.call(object);
      // A toJSON that returns its own object would otherwise loop through this branch.
      return replacement === object ? this.fields(object, depth) : this.walk(replacement, depth);
    }
    return this.fields(object, depth);
  }

  private text(value: string): string {
    const max = this.limits.maxStringLength;
    if (value.length <= max) return value;
    // Never split a surrogate pair: half a character is not valid text.
    const cut = isHighSurrogate(value.charCodeAt(max - 1)) ? max - 1 : max;
    return `${value.slice(0, cut)}…`;
  }

  private list(items: readonly unknown[], depth: number): unknown[] {
    const kept = Math.min(items.length, this.limits.maxArrayLength);
    const result: unknown[] = new Array(kept);
    for (let i = 0; i < kept; i++) {
      const walked = this.guarded(() => items[i], depth);
      // As JSON does, undefined items are written as null.
      result[i] = walked === OMIT ? null : walked;
    }
    if (items.length > kept) result.push(`[… ${items.length - kept} more]`);
    return result;
  }

  private fields(object: object, depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    const keys = Object.keys(object);
    const kept = Math.min(keys.length, this.limits.maxObjectKeys);
    for (let i = 0; i < kept; i++) {
      const key = keys[i];
      const walked = this.guarded(() => (object as Record<string, unknown>)[key], depth);
      // As JSON does, fields holding undefined are left out rather than written as null.
      if (walked !== OMIT) result[key] = walked;
    }
    if (keys.length > kept) result['…'] = `${keys.length - kept} more keys`;
    return result;
  }

  private error(error: Error, depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = { name: this.text(String(error.name)), message: this.text(String(error.message)) };
    for (const key of Object.keys(error)) {
      if (key === 'stack') continue;
      const walked = this.guarded(() => (error as unknown as Record<string, unknown>)[key], depth);
      if (walked !== OMIT) result[key] = walked;
    }
    if ('cause' in error && error.cause !== undefined && !('cause' in result)) {
      result.cause = this.guarded(() => error.cause, depth);
    }
    return result;
  }

  private map(map: Map<unknown, unknown>, depth: number): unknown {
    let textKeys = true;
    for (const key of map.keys()) {
      if (typeof key !== 'string' && typeof key !== 'number') {
        textKeys = false;
        break;
      }
    }
    if (!textKeys) return this.list([...map.entries()], depth);
    const result: Record<string, unknown> = {};
    let count = 0;
    for (const [key, value] of map) {
      if (count++ >= this.limits.maxObjectKeys) {
        result['…'] = `${map.size - this.limits.maxObjectKeys} more keys`;
        break;
      }
      const walked = this.guarded(() => value, depth);
      if (walked !== OMIT) result[String(key)] = walked;
    }
    return result;
  }

  /** Reads one field; a getter that throws spoils only that field. */
  private guarded(read: () => unknown, depth: number): unknown {
    let value: unknown;
    try {
      value = read();
    } catch {
      return UNSERIALIZABLE;
    }
    return value === undefined ? OMIT : this.walk(value, depth);
  }
}

/** What `guarded` returns for undefined: objects leave the field out, arrays write null. */
const OMIT = Symbol('omit');

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
