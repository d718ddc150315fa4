import { diag, type Attributes, type Span } from '@opentelemetry/api';
import type { CausalLinkType } from '@decision-trace/model';
import { DecisionState, type OutcomeDetails } from './decision-state.js';

/** The actor who decided: a person, a service, an agent. */
export interface DecisionActor {
  id?: string;
  type?: 'human' | 'system' | 'agent' | (string & {});
  version?: string;
  org?: string;
}

export interface DecisionOptions {
  /** The decision type, with an optional version suffix: `refund.approve.v2`. */
  type: string;
  actor?: DecisionActor;
  tenant?: string;
  environment?: string;
  /** A decision id of your own; by default a random UUID. */
  id?: string;
  /** The parent decision; by default the decision this one runs inside of, if any. null: none. */
  parentId?: string | null;
  /** The span's name; by default the decision type. */
  spanName?: string;
  /** More attributes for the decision's span. */
  attributes?: Attributes;
  /** Causal links known up front (more with `d.link`). */
  links?: ReadonlyArray<{ type: CausalLinkType; target: string }>;
  /**
   * Put `decision.id` / `decision.trace_id` on the span that was active when the decision began
   * and add a `decision` span event summarising it there (see linking.ts).
   */
  linkCallerSpan?: boolean;
}

/** What a decision callback gets: the decision's identity and its recording methods. */
export interface Decision {
  readonly id: string;
  readonly type: string;
  /** The OTel trace the decision belongs to (lowercase hex). */
  readonly traceId: string;
  readonly spanId: string;
  readonly parentId: string | null;
  readonly tenant: string | undefined;
  readonly environment: string | undefined;
  /** The decision's own span (non-recording when the trace is not sampled). */
  readonly span: Span;
  /** The outcome recorded so far, as text. */
  readonly outcomeValue: string | null;
  /** A piece of evidence; the value is snapshotted now (later changes to it are not recorded). */
  evidence(key: string, value: unknown): this;
  /** A policy check: its name, its result (pass/fail, a score, an object) and what it looked at. */
  policyCheck(policy: string, result: unknown, inputs?: unknown): this;
  /** Something the decision did or will do. */
  action(name: string, details?: Record<string, unknown>): this;
  /** An approval (or refusal) by someone: `d.approval('granted', { by: 'supervisor-3' })`. */
  approval(status: string, details?: Record<string, unknown>): this;
  /** What was decided, with how sure, instead of what, and why. */
  outcome(value: string | number | boolean, details?: OutcomeDetails): this;
  /** A causal link to another decision: `d.link('depends_on', otherDecision.id)`. */
  link(type: CausalLinkType, target: string | { readonly id: string }): this;
  /** Records an error without throwing (a thrown error is recorded on its own). */
  error(error: unknown): this;
}

/**
 * One decision in progress. Methods never throw into the caller: a decision is an observability
 * signal, and recording it must not change what the application does.
 */
export class DecisionScope implements Decision {
  readonly state = new DecisionState();
  private ended = false;

  constructor(
    readonly id: string,
    readonly type: string,
    readonly traceId: string,
    readonly spanId: string,
    readonly parentId: string | null,
    readonly tenant: string | undefined,
    readonly environment: string | undefined,
    readonly span: Span,
  ) {}

  get outcomeValue(): string | null {
    return this.state.outcome;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  markEnded(): void {
    this.ended = true;
  }

  evidence(key: string, value: unknown): this {
    if (this.accepts('evidence') && validName('evidence key', key)) guard(() => this.state.addEvidence(key, value));
    return this;
  }

  policyCheck(policy: string, result: unknown, inputs?: unknown): this {
    if (this.accepts('policyCheck') && validName('policy name', policy)) {
      guard(() => this.state.addPolicyCheck(policy, result, inputs));
    }
    return this;
  }

  action(name: string, details?: Record<string, unknown>): this {
    if (this.accepts('action') && validName('action name', name)) guard(() => this.state.addAction(name, details));
    return this;
  }

  approval(status: string, details?: Record<string, unknown>): this {
    if (this.accepts('approval') && validName('approval status', status)) {
      guard(() => this.state.addApproval(status, details));
    }
    return this;
  }

  outcome(value: string | number | boolean, details?: OutcomeDetails): this {
    if (this.accepts('outcome')) guard(() => this.state.setOutcome(value, details));
    return this;
  }

  link(type: CausalLinkType, target: string | { readonly id: string }): this {
    if (!this.accepts('link')) return this;
    const targetId = typeof target === 'string' ? target : target?.id;
    guard(() => {
      if (!this.state.addCausalLink(type, targetId)) {
        diag.warn(`decision-trace: causal link ignored (type "${String(type)}", target "${String(targetId)}")`);
      }
    });
    return this;
  }

  error(error: unknown): this {
    if (this.accepts('error')) guard(() => this.state.setError(error));
    return this;
  }

  private accepts(method: string): boolean {
    if (!this.ended) return true;
    diag.warn(`decision-trace: d.${method}() after decision ${this.id} ended is ignored`);
    return false;
  }
}

function validName(what: string, name: unknown): boolean {
  if (typeof name === 'string' && name !== '') return true;
  diag.warn(`decision-trace: ${what} must be a non-empty string; ignored`);
  return false;
}

function guard(record: () => void): void {
  try {
    record();
  } catch (error) {
    diag.error('decision-trace: recording a decision field failed', error);
  }
}
