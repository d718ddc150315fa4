import { snapshotJson } from './safe-json.js';

export const DEFAULT_MAX_CAPTURE_LENGTH = 5000;

export interface CapturedText {
  text: string;
  /** `text/plain` when the value was a string, `application/json` otherwise. */
  mimeType: 'text/plain' | 'application/json';
}

/**
 * A value as span attribute text: a string as it is, anything else as a safe JSON snapshot;
 * cut to `maxLength` characters (then ending with "…"), never inside a surrogate pair.
 */
export function captureText(value: unknown, maxLength: number = DEFAULT_MAX_CAPTURE_LENGTH): CapturedText {
  const isText = typeof value === 'string';
  const text = isText ? value : snapshotJson(value);
  return { text: truncate(text, maxLength), mimeType: isText ? 'text/plain' : 'application/json' };
}

export function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  const code = text.charCodeAt(maxLength - 1);
  const cut = code >= 0xd800 && code <= 0xdbff ? maxLength - 1 : maxLength;
  return `${text.slice(0, cut)}…`;
}
