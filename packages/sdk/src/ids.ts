import { randomBytes } from 'node:crypto';

/** W3C trace context ids for decisions made where no tracing SDK gave the span real ones. */
export function randomTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function randomSpanId(): string {
  return randomBytes(8).toString('hex');
}
