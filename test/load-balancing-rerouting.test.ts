import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { offlineHost, type Host } from '@decision-trace/collector';
import { loadBalancingExporterSchema } from '../packages/collector/src/exporters/load_balancing/config.js';
import { HashRing } from '../packages/collector/src/exporters/load_balancing/hash-ring.js';
import { LoadBalancingExporter } from '../packages/collector/src/exporters/load_balancing/load-balancer.js';
import type { BackendResolver } from '../packages/collector/src/exporters/load_balancing/resolver.js';
import { eventually, startGrpcSink, type OtlpSink } from './delivery-sink.js';
import { laterSpansOf, makeTraces, shuffledBatches, tracesPerSink, type TestTrace } from './helpers/trace-batches.js';

const silent = pino({ level: 'silent' });
const UNAVAILABLE = 14;

/** Membership the test changes at will, as a DNS resolver would see it. */
class ControlledResolver implements BackendResolver {
  private onChange?: (backends: readonly string[]) => void;

  constructor(private backends: string[]) {}

  async start(onChange: (backends: readonly string[]) => void): Promise<void> {
    this.onChange = onChange;
    onChange([...this.backends].sort());
  }

  set(backends: string[]): void {
    this.backends = backends;
    this.onChange?.([...backends].sort());
  }

  async shutdown(): Promise<void> {}
}

function balancer(resolver: BackendResolver, host: Host, extra: { storage?: string; initialInterval?: string } = {}) {
  const config = loadBalancingExporterSchema.parse({
    protocol: {
      otlp: {
        tls: { insecure: true },
        compression: 'none',
        // Long waits between retries: a re-route that waited for them would time the test out.
        retry_on_failure: { initial_interval: extra.initialInterval ?? '20s', max_interval: '30s', max_elapsed_time: 0 },
        sending_queue: extra.storage ? { storage: extra.storage } : {},
      },
    },
    resolver: { static: { hostnames: ['placeholder:1'] } },
  });
  return new LoadBalancingExporter({ id: 'load_balancing', config, logger: silent, host, resolver });
}

function totalSpans(sinks: OtlpSink[]): number {
  return sinks.reduce((sum, sink) => sum + [...sink.spanArrivals.values()].reduce((a, b) => a + b, 0), 0);
}

async function sendAll(exporter: LoadBalancingExporter, traces: TestTrace[], seed: number): Promise<void> {
  for (const batch of shuffledBatches(traces, 40, seed)) await exporter.consumeTraces(batch);
}

describe('load_balancing: membership changes', () => {
  const sinks: OtlpSink[] = [];
  before(async () => {
    for (let i = 0; i < 4; i++) sinks.push(await startGrpcSink());
  });
  after(async () => {
    await Promise.all(sinks.map((sink) => sink.close()));
  });

  test('a backend that leaves the ring has its queued traces re-routed to their new owners, none lost', async () => {
    const [a, b, c] = sinks;
    for (const sink of sinks) sink.failWith(undefined);
    c.failWith({ status: UNAVAILABLE });
    const resolver = new ControlledResolver([a.url, b.url, c.url]);
    const host = offlineHost();
    const exporter = balancer(resolver, host);
    await exporter.start();
    const before = totalSpans([a, b]);
    const traces = makeTraces(240, 4, 'leave');
    await sendAll(exporter, traces, 1);

    const ring = new HashRing([a.url, b.url, c.url]);
    const ownedByC = traces.filter((t) => ring.ownerOf(t.traceId) === c.url);
    assert.ok(ownedByC.length > 40, 'the failing backend owns a share of the traces');
    const expectedAtAB = (traces.length - ownedByC.length) * 4;
    assert.ok(await eventually(() => totalSpans([a, b]) - before === expectedAtAB && c.refusedAttempts > 0, 10_000));

    const removedAt = Date.now();
    resolver.set([a.url, b.url]);
    assert.ok(await eventually(() => totalSpans([a, b]) - before === traces.length * 4, 10_000), "every span arrives, including the failing backend's");
    assert.ok(Date.now() - removedAt < 5_000, 'queued requests sleeping before a retry (20 s) are re-routed at once');
    assert.equal(host.metrics.valueOf('otelcol_loadbalancer_rerouted_spans_total', { exporter: 'load_balancing' }), ownedByC.length * 4);
    assert.deepEqual(exporter.members, [a.url, b.url].sort());

    const placement = tracesPerSink(traces, [a, b, c]);
    for (const trace of traces) {
      assert.equal(placement.get(trace.traceId)!.size, 1, `trace ${trace.traceId} is on one backend only`);
      assert.equal(
        trace.spanIds.every((id) => (a.spanArrivals.get(id) ?? 0) + (b.spanArrivals.get(id) ?? 0) === 1),
        true,
        'each span once',
      );
    }
    const newRing = new HashRing([a.url, b.url]);
    for (const trace of ownedByC) assert.ok(placement.get(trace.traceId)!.has(newRing.ownerOf(trace.traceId)!), 'moved to its new owner');
    for (const trace of traces.filter((t) => !ownedByC.includes(t))) {
      assert.ok(placement.get(trace.traceId)!.has(ring.ownerOf(trace.traceId)!), 'traces of the staying backends did not move');
    }
    await exporter.shutdown({ deadline: Date.now() + 1000 });
    c.failWith(undefined);
  });

  test('a backend that joins takes about 1/N of the traces; the others keep theirs', async () => {
    const [a, b, c, d] = sinks;
    for (const sink of sinks) sink.failWith(undefined);
    const resolver = new ControlledResolver([a.url, b.url, c.url]);
    const exporter = balancer(resolver, offlineHost(), { initialInterval: '100ms' });
    await exporter.start();
    const traces = makeTraces(400, 2, 'join');
    const start = totalSpans(sinks);
    await sendAll(exporter, traces, 2);
    assert.ok(await eventually(() => totalSpans(sinks) - start === traces.length * 2, 10_000));
    const first = tracesPerSink(traces, sinks);

    resolver.set([a.url, b.url, c.url, d.url]);
    assert.equal(exporter.members.length, 4);
    // The same trace ids again (late spans of the same traces).
    const late = laterSpansOf(traces, 'join-late');
    await sendAll(exporter, late, 3);
    assert.ok(await eventually(() => totalSpans(sinks) - start === traces.length * 4, 10_000));
    const second = tracesPerSink(late, sinks);
    let moved = 0;
    for (const trace of traces) {
      const was = [...first.get(trace.traceId)!][0];
      const is = second.get(trace.traceId)!;
      assert.equal(is.size, 1);
      const now = [...is][0];
      if (now !== was) {
        moved += 1;
        assert.equal(now, d.url, 'a trace that moves moves to the new backend');
      }
    }
    assert.ok(moved > traces.length * 0.125 && moved <= (traces.length * 1.5) / 4, `moved ${moved} of ${traces.length}`);
    await exporter.shutdown({ deadline: Date.now() + 1000 });
  });

  test('a persistent queue left by a backend that is gone is re-routed at the next start', async () => {
    const [a, , c] = sinks;
    for (const sink of sinks) sink.failWith(undefined);
    c.failWith({ status: UNAVAILABLE });
    const storage = mkdtempSync(join(tmpdir(), 'dt-lb-queue-'));
    const first = balancer(new ControlledResolver([a.url, c.url]), offlineHost(), { storage });
    await first.start();
    const traces = makeTraces(120, 3, 'orphan');
    const start = totalSpans([a]);
    await sendAll(first, traces, 4);
    const ring = new HashRing([a.url, c.url]);
    const toA = traces.filter((t) => ring.ownerOf(t.traceId) === a.url).length * 3;
    assert.ok(await eventually(() => totalSpans([a]) - start === toA, 10_000));
    await first.shutdown({ deadline: Date.now() });
    assert.equal(totalSpans([a]) - start, toA, "the rest is in the failing backend's persistent queue");

    const host = offlineHost();
    const second = balancer(new ControlledResolver([a.url]), host, { storage });
    await second.start();
    assert.ok(await eventually(() => totalSpans([a]) - start === traces.length * 3, 10_000), 'the orphaned queue drains into the ring');
    assert.equal(host.metrics.valueOf('otelcol_loadbalancer_rerouted_spans_total', { exporter: 'load_balancing' }), traces.length * 3 - toA);
    assert.ok(
      traces.every((t) => t.spanIds.every((id) => !c.spanArrivals.has(id))),
      'nothing reached the backend that is gone',
    );
    await second.shutdown({ deadline: Date.now() + 1000 });
    c.failWith(undefined);
  });
});
