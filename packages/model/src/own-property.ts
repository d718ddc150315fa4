/**
 * Sets `target[key]` as an own property whatever the key. A plain assignment of the key
 * "__proto__" would replace the object's prototype instead, and the value would vanish from the
 * record without a trace; attribute keys (`decision.evidence.__proto__`) come from clients.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
