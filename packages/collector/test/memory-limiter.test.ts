import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { PipelineError, offlineHost } from '@decision-trace/collector';
import type { TraceBatch } from '../src/component/component.js';
import { memoryLimiterSchema, memoryLimits } from '../src/processors/memory_limiter/config.js';
import { memoryLimiterProcessorFactory } from '../src/processors/memory_limiter/factory.js';
import { MemoryLimiter } from '../src/processors/memory_limiter/memory-limiter.js';

const MiB = 1024 * 1024;

describe('memory_limiter limits', () => {
  test('limit_mib is the hard limit; the soft limit is spike_limit_mib (default 20%) below it', () => {
    assert.deepEqual(memoryLimits(memoryLimiterSchema.parse({ check_interval: '1s', limit_mib: 4000, spike_limit_mib: 800 }), 0), {
      hardBytes: 4000 * MiB,
      softBytes: 3200 * MiB,
    });
    assert.deepEqual(memoryLimits(memoryLimiterSchema.parse({ check_interval: '1s', limit_mib: 1000 }), 0), { hardBytes: 1000 * MiB, softBytes: 800 * MiB });
  });

  test('percentages are of the available memory; limit_mib wins over them', () => {
    const total = 1000 * MiB;
    assert.deepEqual(memoryLimits(memoryLimiterSchema.parse({ check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 15 }), total), {
      hardBytes: 800 * MiB,
      softBytes: 650 * MiB,
    });
    assert.deepEqual(memoryLimits(memoryLimiterSchema.parse({ check_interval: '1s', limit_percentage: 50 }), total), {
      hardBytes: 500 * MiB,
      softBytes: 400 * MiB,
    });
    assert.equal(memoryLimits(memoryLimiterSchema.parse({ check_interval: '1s', limit_mib: 10, limit_percentage: 50 }), total).hardBytes, 10 * MiB);
  });

  test('invalid settings are refused as the Collector refuses them', () => {
    const issues = (value: unknown) => memoryLimiterSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    assert.match(issues({ limit_mib: 100 }).join(), /check_interval/);
    assert.match(issues({ check_interval: '0s', limit_mib: 100 }).join(), /check_interval: must be greater than zero/);
    assert.match(issues({ check_interval: '1s' }).join(), /limit_mib: set limit_mib or limit_percentage/);
    assert.match(issues({ check_interval: '1s', limit_mib: 100, spike_limit_mib: 100 }).join(), /spike_limit_mib: must be smaller than limit_mib/);
    assert.match(issues({ check_interval: '1s', limit_percentage: 101 }).join(), /limit_percentage/);
    assert.match(issues({ check_interval: '1s', limit_percentage: 20, spike_limit_percentage: 30 }).join(), /spike_limit_percentage: must be smaller/);
    assert.match(issues({ check_interval: '1s', limit_mib: 100, min_gc_interval_when_soft_limited: '10s' }).join(), /min_gc_interval_when_soft_limited/);
  });
});

describe('memory limiter', () => {
  test('refuses above the soft limit, collects garbage above the hard limit, resumes below the soft limit', () => {
    let usage = 50;
    let gcs = 0;
    const changes: boolean[] = [];
    const limiter = new MemoryLimiter({
      limits: { hardBytes: 100, softBytes: 80 },
      checkIntervalMs: 1000,
      readUsage: () => usage,
      forceGc: () => (gcs += 1),
      onChange: (refusing) => changes.push(refusing),
    });
    limiter.check();
    assert.equal(limiter.refusing, false);
    usage = 85;
    limiter.check();
    assert.equal(limiter.refusing, true);
    assert.equal(gcs, 0, 'no forced GC between the soft and the hard limit');
    usage = 120;
    limiter.check();
    assert.equal(gcs, 1);
    usage = 79;
    limiter.check();
    assert.equal(limiter.refusing, false);
    assert.deepEqual(changes, [true, false]);
  });

  test('the processor refuses with a retryable PipelineError while over the limit, and counts the spans', async () => {
    const host = offlineHost();
    let passed = 0;
    const processor = memoryLimiterProcessorFactory.create(
      // 1 MiB is far below what any node process uses: always over the limit.
      {
        id: 'memory_limiter (traces)',
        pipeline: 'traces',
        config: memoryLimiterSchema.parse({ check_interval: '2s', limit_mib: 1 }),
        logger: pino({ level: 'silent' }),
        host,
      },
      { consumeTraces: async () => void (passed += 1) },
    );
    await processor.start();
    const batch: TraceBatch = { resourceSpans: [], spanCount: 7, decisions: [] };
    await assert.rejects(processor.consumeTraces(batch), (e: unknown) => e instanceof PipelineError && e.retryable && e.retryAfterSeconds === 2);
    assert.equal(passed, 0);
    assert.equal(host.metrics.valueOf('otelcol_processor_refused_spans_total', { processor: 'memory_limiter', pipeline: 'traces' }), 7);
    assert.equal(host.status.snapshot().get('processors.memory_limiter')?.state, 'failing');
    await processor.shutdown();

    const roomy = memoryLimiterProcessorFactory.create(
      {
        id: 'memory_limiter (traces)',
        pipeline: 'traces',
        config: memoryLimiterSchema.parse({ check_interval: '1s', limit_mib: 1_000_000 }),
        logger: pino({ level: 'silent' }),
        host,
      },
      { consumeTraces: async () => void (passed += 1) },
    );
    await roomy.start();
    await roomy.consumeTraces(batch);
    assert.equal(passed, 1);
    await roomy.shutdown();
  });
});
