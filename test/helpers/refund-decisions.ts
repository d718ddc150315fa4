import type { Attributes, Tracer } from '@opentelemetry/api';

/** A linear congruential generator: the same stream of numbers in [0, 1) for the same seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A seeded stream of refund decisions, as an application emits them through the OTel SDK: each a
 * `refund.approve.v2` span of tenant acme, approved with the given probability. The anomaly tests
 * plant their shifts by changing that probability between calls.
 */
export class RefundDecisions {
  readonly #run = Math.random().toString(36).slice(2, 8);
  readonly #random = seeded(20);
  #sent = 0;

  /** What every decision id of this stream starts with (unique per test run). */
  get idPrefix(): string {
    return `refund-${this.#run}-`;
  }

  /** `more` adds attributes after the shared ones, drawing from the same seeded stream. */
  constructor(private readonly more: (random: () => number) => Attributes = () => ({})) {}

  /** `count` decisions sent in order, flushed every 100 and at the end. */
  async send(tracer: Tracer, flush: () => Promise<void>, count: number, rate: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.#sent += 1;
      tracer
        .startSpan('refund.decide', {
          attributes: {
            'decision.id': `${this.idPrefix}${this.#sent}`,
            'decision.type': 'refund.approve.v2',
            'decision.outcome': this.#random() < rate ? 'approved' : 'denied',
            'decision.confidence': 0.6 + this.#random() * 0.2,
            'decision.tenant_id': 'acme',
            ...this.more(this.#random),
          },
        })
        .end();
      if (this.#sent % 100 === 0) await flush();
    }
    await flush();
  }
}
