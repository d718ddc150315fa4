import type { AttributeValue, Attributes } from '@decision-trace/model';

/**
 * Assigns one attribute. A plain assignment of the key "__proto__" would replace the
 * object's prototype instead of adding an attribute, so that key is defined explicitly.
 */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
