/**
 * The one nesting limit of every input path. A value may hold at most this many arrays or
 * objects (kvlists) inside each other: `"x"` nests 0 levels, `{"a":"x"}` 1, `{"a":[{}]}` 3.
 *
 * Why a limit: structured clone (the store worker's messages), JSON.stringify and every
 * recursive walk of a value use the call stack, one frame or more per level; a value a few
 * thousand levels deep overflows it wherever it is next touched, long after it was accepted.
 * Why 31: binary protobuf already stops there. protobufjs's recursion limit (100 messages)
 * leaves 31 levels of kvlist values inside a span's attribute, so OTLP/protobuf, OTLP/JSON,
 * `/v1/events` and JSON text inside string attributes all share the protobuf limit.
 */
export const MAX_NESTING_DEPTH = 31;

/**
 * How deep a decision event's payload may nest: values within MAX_NESTING_DEPTH, inside the
 * payload object and at most two levels around them (`evidence` → key, or `policy_checks` →
 * list → check → `result`).
 */
export const MAX_PAYLOAD_NESTING = MAX_NESTING_DEPTH + 3;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`. A scan of the text alone
 * (brackets outside strings), so it holds whichever parser reads the text afterwards, and it
 * never recurses. Text that is not valid JSON is scanned all the same: the parser refuses it.
 * Bytes are read as UTF-8, whose multi-byte sequences never contain these ASCII bytes.
 */
export function exceedsJsonNesting(text: string | Uint8Array, limit: number = MAX_NESTING_DEPTH): boolean {
  return typeof text === 'string' ? textExceeds(text, limit) : bytesExceed(text, limit);
}

// The two loops are the same scan; one each so that neither pays for a call per character.

function textExceeds(text: string, limit: number): boolean {
  // Each level opens with a character of its own: a text this short cannot nest deeper.
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // Skip the string: up to the next quote that no backslash escapes.
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && depth > 0) {
      depth--;
    }
  }
  return false;
}

function bytesExceed(bytes: Uint8Array, limit: number): boolean {
  if (bytes.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes[i]!;
    if (code === QUOTE) {
      for (i++; i < bytes.length; i++) {
        const inner = bytes[i]!;
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && depth > 0) {
      depth--;
    }
  }
  return false;
}

/**
 * Whether a value (arrays and plain objects, e.g. a decoded attribute value) nests deeper than
 * `limit`. Walks with its own stack, so a value of any depth is answered without overflowing.
 * Byte arrays are scalars.
 */
export function exceedsValueNesting(value: unknown, limit: number = MAX_NESTING_DEPTH): boolean {
  if (!isContainer(value)) return false;
  const pending: Array<{ value: object; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > limit) return true;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) if (isContainer(child)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value);
}

/**
 * JSON text with every array or object that would nest deeper than `limit` replaced by a JSON
 * string of its own text: nothing is lost and the result parses into a value within the limit.
 * For text stored before the limit existed (an old database), so that reading it can neither
 * overflow the stack nor hide the data. Returns the text unchanged when it is within the limit.
 */
export function flattenJsonNesting(text: string, limit: number = MAX_NESTING_DEPTH): { text: string; flattened: number } {
  if (!exceedsJsonNesting(text, limit)) return { text, flattened: 0 };
  const parts: string[] = [];
  let copiedUpTo = 0;
  let flattened = 0;
  let depth = 0;
  /** Where the container being turned into a string started, while inside it. */
  let cutStart = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === BACKSLASH) i++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      if (depth === limit + 1 && cutStart === -1) cutStart = i;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      if (depth === limit + 1 && cutStart !== -1) {
        parts.push(text.slice(copiedUpTo, cutStart), JSON.stringify(text.slice(cutStart, i + 1)));
        copiedUpTo = i + 1;
        cutStart = -1;
        flattened++;
      }
      if (depth > 0) depth--;
    }
  }
  parts.push(text.slice(copiedUpTo));
  return { text: parts.join(''), flattened };
}
