/**
 * A processor's configured id for metric labels. The service names each pipeline's instance
 * `<id> (<pipeline>)` for its logs; metrics carry the pipeline as a label of its own.
 */
export function componentName(id: string, pipeline: string | undefined): string {
  if (pipeline === undefined) return id;
  const suffix = ` (${pipeline})`;
  return id.endsWith(suffix) ? id.slice(0, -suffix.length) : id;
}
