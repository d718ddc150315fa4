/**
 * What a replay policy said about one decision. A policy returns an outcome string, or
 * `{ outcome, reason?, evidence? }` where `evidence` names the evidence keys that mattered;
 * anything else, a throw or a rejection is an error of that decision, never of the run.
 */
export type PolicyVerdict = DecidedVerdict | FailedVerdict;

export interface DecidedVerdict {
  kind: 'decided';
  outcome: string;
  reason: string | null;
  /** Evidence keys the policy says its outcome rests on; empty when it does not say. */
  evidenceKeys: string[];
}

export interface FailedVerdict {
  kind: 'error';
  message: string;
}

const EXPECTED = 'expected an outcome string or { outcome: string, reason?: string, evidence?: string[] }';

/** Reads what the policy returned (already awaited). */
export function verdictOf(returned: unknown): PolicyVerdict {
  if (typeof returned === 'string') {
    return returned === '' ? failed(`policy returned an empty outcome; ${EXPECTED}`) : decided(returned, null, []);
  }
  if (typeof returned !== 'object' || returned === null || Array.isArray(returned)) {
    return failed(`policy returned ${describe(returned)}; ${EXPECTED}`);
  }
  const { outcome, reason, evidence } = returned as { outcome?: unknown; reason?: unknown; evidence?: unknown };
  if (typeof outcome !== 'string' || outcome === '') return failed(`policy returned an object without an outcome string; ${EXPECTED}`);
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    return failed(`policy returned a reason that is not a string (${describe(reason)})`);
  }
  if (evidence !== undefined && evidence !== null && !(Array.isArray(evidence) && evidence.every((key) => typeof key === 'string'))) {
    return failed(`policy returned evidence that is not an array of evidence keys (${describe(evidence)})`);
  }
  return decided(outcome, typeof reason === 'string' ? reason : null, Array.isArray(evidence) ? [...new Set(evidence as string[])] : []);
}

/** A policy that threw or rejected: its message, with the error's class when it says more. */
export function verdictOfError(error: unknown): FailedVerdict {
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    return failed(`${name}${error.message}`);
  }
  return failed(`policy threw ${describe(error)}`);
}

function decided(outcome: string, reason: string | null, evidenceKeys: string[]): DecidedVerdict {
  return { kind: 'decided', outcome, reason, evidenceKeys };
}

function failed(message: string): FailedVerdict {
  return { kind: 'error', message };
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = String(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}
