/**
 * The three ways an OTTL condition can fail. A syntax or compile problem is found when the
 * configuration is read and refuses it; the others happen while a condition is evaluated on one
 * span and are handled by the condition's `error_mode`.
 */

/** The condition does not parse: `column` (1-based, in characters) is where it went wrong. */
export class OttlSyntaxError extends Error {
  constructor(
    readonly column: number,
    readonly detail: string,
  ) {
    super(`OTTL syntax error at column ${column}: ${detail}`);
    this.name = 'OttlSyntaxError';
  }
}

/**
 * The condition parses but cannot be built: an unknown path, converter or enum, a wrong number
 * of arguments, an invalid regular expression, or OTTL this implementation refuses.
 */
export class OttlCompileError extends Error {
  constructor(
    readonly column: number,
    readonly detail: string,
  ) {
    super(`at column ${column}: ${detail}`);
    this.name = 'OttlCompileError';
  }
}

/** Evaluating a condition on one span or span event failed (a wrong type, an index out of range). */
export class OttlEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OttlEvaluationError';
  }
}

/**
 * A value had another type than a typed argument asks for. The Is… converters answer false on
 * exactly these (and only when the value itself had the type, not when getting it failed).
 */
export class OttlTypeError extends OttlEvaluationError {
  constructor(message: string) {
    super(message);
    this.name = 'OttlTypeError';
  }
}
