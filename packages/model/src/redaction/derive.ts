import type { Derivation, ValueKind } from './settings.js';

/**
 * The built-in derivations and the detectors that find what they apply to. Each derivation
 * has two forms: the value stored under the derived key when a whole field is derived
 * (`user.email` → `user.email_domain: example.com`) and the text put in place of an occurrence
 * inside a longer string (`mail ***@example.com`).
 */
export interface DerivationSpec {
  /** Appended to the key of a field derived as a whole. */
  keySuffix: string;
  /** The detector that finds candidates in text. */
  kind: ValueKind;
  /** The derived value of one candidate, or null when the candidate is not really one. */
  derive(candidate: string): string | null;
  /** What an occurrence inside a longer text becomes. */
  inText(derived: string): string;
}

const EMAIL = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})\b/g;
const IPV4 = /\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b/g;
/** Loose on purpose: candidates are confirmed by parseIpv6. */
const IPV6 = /(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|\d{1,3}(?:\.\d{1,3}){3})(?![0-9A-Fa-f:])/g;
const IP = new RegExp(`${IPV4.source}|${IPV6.source}`, 'g');
/** 13 to 19 digits, optionally grouped by spaces or dashes; confirmed by the Luhn check. */
const CARD_NUMBER = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;

/** Global regexes finding candidates of each kind; confirm each candidate with `confirm`. */
export const VALUE_KIND_PATTERNS: Record<ValueKind, RegExp> = {
  email: EMAIL,
  ip: IP,
  card_number: CARD_NUMBER,
};

/**
 * Cheap tests that a text cannot contain a value of the kind, run before the regexes: most
 * attribute values hold no email, no IP and no card number, and the scan costs far less.
 */
export const VALUE_KIND_CANNOT_CONTAIN: Record<ValueKind, (text: string) => boolean> = {
  email: (text) => !text.includes('@'),
  ip: (text) => {
    // IPv4 needs a digit, a dot and a digit in a row; IPv6 needs two colons.
    let colons = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 58 && ++colons >= 2) return false;
      if (code === 46 && isDigitAt(text, i - 1) && isDigitAt(text, i + 1)) return false;
    }
    return true;
  },
  card_number: (text) => {
    if (text.length < 13) return true;
    let digits = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 48 && code <= 57 && ++digits >= 13) return false;
    }
    return true;
  },
};

function isDigitAt(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  return code >= 48 && code <= 57;
}

/** Whether a regex match of a value kind really is one (an IPv6-looking run, a Luhn-valid number). */
export function confirmValueKind(kind: ValueKind, candidate: string): boolean {
  switch (kind) {
    case 'email':
      return true;
    case 'ip':
      if (!candidate.includes(':')) return true;
      // Short colon runs (`Foo::bar`, `10:00:00`) are not addresses worth the name.
      return candidate.split(':').filter((group) => group !== '').length >= 3 && parseIpv6(candidate) !== null;
    case 'card_number':
      return luhnValid(candidate.replace(/[ -]/g, ''));
  }
}

export const DEFAULT_DERIVATION: Record<ValueKind, Derivation> = {
  email: 'email_domain',
  ip: 'ip_prefix',
  card_number: 'card_last4',
};

export const DERIVATION_SPECS: Record<Derivation, DerivationSpec> = {
  email_domain: {
    keySuffix: '_domain',
    kind: 'email',
    derive(candidate) {
      const at = candidate.lastIndexOf('@');
      return at < 1 ? null : candidate.slice(at + 1).toLowerCase();
    },
    inText: (domain) => `***@${domain}`,
  },
  ip_prefix: {
    keySuffix: '_prefix',
    kind: 'ip',
    derive: ipNetworkPrefix,
    inText: (prefix) => prefix,
  },
  card_last4: {
    keySuffix: '_last4',
    kind: 'card_number',
    derive(candidate) {
      const digits = candidate.replace(/[ -]/g, '');
      return digits.length >= 13 && luhnValid(digits) ? digits.slice(-4) : null;
    },
    inText: (lastFour) => `****${lastFour}`,
  },
};

/**
 * The first occurrence of the derivation's kind in `text` that derives, as its derived value,
 * or null when there is none.
 */
export function deriveFirst(derivation: Derivation, text: string): string | null {
  const spec = DERIVATION_SPECS[derivation];
  const pattern = VALUE_KIND_PATTERNS[spec.kind];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (!confirmValueKind(spec.kind, match[0])) continue;
    const derived = spec.derive(match[0]);
    if (derived !== null) {
      pattern.lastIndex = 0;
      return derived;
    }
  }
  return null;
}

/** /24 for IPv4, /48 for IPv6: the network, not the host. */
export function ipNetworkPrefix(candidate: string): string | null {
  if (!candidate.includes(':')) {
    const octets = parseIpv4Octets(candidate);
    return octets === null ? null : `${octets[0]}.${octets[1]}.${octets[2]}.0/24`;
  }
  const groups = parseIpv6(candidate);
  if (groups === null) return null;
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::/48`;
}

/** Eight 16-bit groups, or null when the text is not an IPv6 address. */
export function parseIpv6(text: string): number[] | null {
  let address = text;
  const lastColon = address.lastIndexOf(':');
  if (lastColon === -1) return null;
  const last = address.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) is the last two groups written in decimal.
    const octets = parseIpv4Octets(last);
    if (octets === null) return null;
    const high = ((octets[0] << 8) | octets[1]).toString(16);
    const low = ((octets[2] << 8) | octets[3]).toString(16);
    address = `${address.slice(0, lastColon + 1)}${high}:${low}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const rest = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const written = [...head, ...rest];
  if (written.some((group) => !/^[0-9A-Fa-f]{1,4}$/.test(group))) return null;
  const groups = written.map((group) => parseInt(group, 16));
  if (halves.length === 1) return groups.length === 8 ? groups : null;
  if (groups.length > 7) return null;
  return [...groups.slice(0, head.length), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(head.length)];
}

function parseIpv4Octets(text: string): [number, number, number, number] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return null;
  return parts.map(Number) as [number, number, number, number];
}

function luhnValid(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}
