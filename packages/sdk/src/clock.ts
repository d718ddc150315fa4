/**
 * Wall-clock time in nanoseconds since the epoch, read the way the OpenTelemetry SDK reads it
 * (time origin + monotonic offset), so times we take ourselves line up with the SDK's spans.
 */
export function nowNanos(): bigint {
  const millis = performance.timeOrigin + performance.now();
  const wholeMillis = Math.floor(millis);
  return BigInt(wholeMillis) * 1_000_000n + BigInt(Math.round((millis - wholeMillis) * 1e6));
}
