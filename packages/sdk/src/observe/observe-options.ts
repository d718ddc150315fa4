import type { Attributes, SpanKind } from '@opentelemetry/api';
import type { ObservedKind } from './observe-attributes.js';

/** An id given as it is, or computed from the call's arguments. */
export type IdSource<Args extends unknown[]> = string | ((...args: Args) => string | undefined);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- by default options fit a function of any parameters (`unknown[]` would not accept narrower ones)
export interface ObserveOptions<Args extends unknown[] = any[]> {
  /** The span's name; by default the function's name. */
  name?: string;
  /** What the function is, for display and analytics; default FUNCTION. */
  kind?: ObservedKind;
  tags?: string[];
  metadata?: Record<string, unknown>;
  userId?: IdSource<Args>;
  sessionId?: IdSource<Args>;
  /** The version of the code or prompt behind the function. */
  version?: string;
  /** Record the arguments as `input.value` (off by default: arguments may hold personal data). */
  captureInput?: boolean;
  /** Record the result (for generators: the last item yielded) as `output.value`. Off by default. */
  captureOutput?: boolean;
  /** Captured text is cut at this many characters; default 5000. */
  maxCaptureLength?: number;
  /** More span attributes. */
  attributes?: Attributes;
  /** The OTel span kind; default INTERNAL. */
  spanKind?: SpanKind;
}
