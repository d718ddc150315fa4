import { z } from 'zod';

/** A key the OpenTelemetry Collector accepts and this collector does not implement. */
export interface UnsupportedKey {
  /** Values that ask for what we do anyway (e.g. the Collector's default): accepted. */
  accepts?: (value: unknown) => boolean;
  /** What to do instead: the error says it after "not supported by this collector: ". */
  instead: string;
}

/**
 * Fields to spread into a component's strictObject: each of `keys` is refused by name and with
 * what to use instead, never read as something else and never reported as a mere "unknown
 * key" (the user copied it from a Collector config: it is known, and refused for a reason). A
 * value one of its `accepts` allows passes. As fields of the object they are reported together
 * with its other problems; drop them from the output with `withoutKeys`.
 */
export function unsupportedKeyFields<K extends string>(keys: Record<K, UnsupportedKey>): Record<K, z.ZodOptional<z.ZodUnknown>> {
  const shape = {} as Record<K, z.ZodOptional<z.ZodUnknown>>;
  for (const key of Object.keys(keys) as K[]) {
    const rule = keys[key];
    shape[key] = z
      .unknown()
      .check(
        z.superRefine((value, ctx) => {
          if (rule.accepts?.(value)) return;
          ctx.addIssue({ code: 'custom', message: `not supported by this collector: ${rule.instead}` });
        }),
      )
      .optional();
  }
  return shape;
}

/** The parsed object without the given keys (the unsupported ones, once accepted). */
export function withoutKeys<K extends string>(keys: Record<K, unknown>) {
  return <T extends Record<string, unknown>>(value: T): Omit<T, K> => {
    const out: Record<string, unknown> = { ...value };
    for (const key of Object.keys(keys)) delete out[key];
    return out as Omit<T, K>;
  };
}
