/**
 * What the running collector knows about its own health: whether its pipelines are up, and for
 * each component that delivers or admits data, whether its last attempts worked. Components
 * report; the health_check extension reads. No I/O.
 */
export type CollectorPhase = 'starting' | 'running' | 'stopping';

export interface ComponentHealth {
  /** `ok` after a success; `failing` after one or more failed attempts with no success since. */
  state: 'ok' | 'failing';
  /** Failed attempts since the last success (a refusal to admit data counts as one). */
  consecutiveFailures: number;
  /** The latest failure's reason. */
  lastError?: string;
  /** Epoch ms when the component entered its current state. */
  since: number;
}

export class StatusBoard {
  private phaseValue: CollectorPhase = 'starting';
  private phaseSince: number;
  private readonly components = new Map<string, ComponentHealth>();

  constructor(private readonly now: () => number = Date.now) {
    this.phaseSince = now();
  }

  get phase(): CollectorPhase {
    return this.phaseValue;
  }

  get phaseChangedAt(): number {
    return this.phaseSince;
  }

  setPhase(phase: CollectorPhase): void {
    if (phase === this.phaseValue) return;
    this.phaseValue = phase;
    this.phaseSince = this.now();
  }

  reportSuccess(componentId: string): void {
    const current = this.components.get(componentId);
    if (current && current.state === 'ok') return;
    this.components.set(componentId, { state: 'ok', consecutiveFailures: 0, since: this.now() });
  }

  reportFailure(componentId: string, reason: string): void {
    const current = this.components.get(componentId);
    if (current && current.state === 'failing') {
      current.consecutiveFailures += 1;
      current.lastError = reason;
      return;
    }
    this.components.set(componentId, { state: 'failing', consecutiveFailures: 1, lastError: reason, since: this.now() });
  }

  /** Stops tracking a component (it shut down). */
  forget(componentId: string): void {
    this.components.delete(componentId);
  }

  snapshot(): Map<string, Readonly<ComponentHealth>> {
    const copy = new Map<string, ComponentHealth>();
    for (const [id, health] of this.components) copy.set(id, { ...health });
    return copy;
  }
}
