import type { z } from 'zod';
import { ExpandedValue, nodeAt, typedView } from './expanded-value.js';

/**
 * Parses `raw` (which may hold ExpandedValues from whole-value references) with `schema`, giving
 * each reference the type its key wants, as the Collector's decoder does with the target field's
 * Go type: first every reference as its YAML value; where the schema then refuses exactly such a
 * value, its text instead (`${env:PORT}` = `8080` for a string key is "8080"). `useOriginal`
 * collects, as paths relative to `raw`, the references that were taken as text.
 */
export function safeParseTyped<S extends z.ZodType>(schema: S, raw: unknown, useOriginal: Set<string> = new Set()): ReturnType<S['safeParse']> {
  for (;;) {
    const result = schema.safeParse(typedView(raw, useOriginal), { reportInput: true }) as ReturnType<S['safeParse']>;
    if (result.success) return result;
    let retry = false;
    for (const issue of result.error!.issues) {
      const segments = issue.path as Array<string | number>;
      const key = pathKey(segments);
      if (useOriginal.has(key)) continue;
      const node = nodeAt(raw, segments);
      if (node instanceof ExpandedValue && typeof node.value !== 'string') {
        useOriginal.add(key);
        retry = true;
      }
    }
    if (!retry) return result;
  }
}

/** The path format typedView uses: `a.b[0].c`. */
export function pathKey(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}
