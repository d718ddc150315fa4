import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { DecisionAlert } from '@decision-trace/store';
import { eventually } from './delivery-sink.js';
import { startCollector, type RunningCollector } from './helpers/collector-process.js';
import { RefundDecisions } from './helpers/refund-decisions.js';
import { testCollectorConfig } from './helpers/test-config.js';

/**
 * Alerts in the decision backend (issue #20, item 4): an application on the real OpenTelemetry
 * SDK approves 60 % of its refunds, then 80 %; the collector (otlp → decision → decisions and
 * decision_anomaly; decision_anomaly → a logs pipeline → the decisions exporter) stores the
 * alert, and the decision API lists it with its evidence and example decisions that resolve.
 */

let collector: RunningCollector;
let provider: BasicTracerProvider;
let tracer: Tracer;

before(async () => {
  collector = await startCollector({
    config: (ports) =>
      testCollectorConfig(ports, {
        connectors: { decision_anomaly: { metrics_flush_interval: '200ms' } },
        service: {
          pipelines: {
            traces: { receivers: ['otlp'], processors: ['decision'], exporters: ['decisions', 'decision_anomaly'] },
            logs: { receivers: ['decision_anomaly'], exporters: ['decisions'] },
          },
        },
      }),
  });
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'refund-service' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }))],
  });
  tracer = provider.getTracer('refund-app');
});

after(async () => {
  await provider?.shutdown();
  await collector?.stop();
});

const refunds = new RefundDecisions();

/** `count` refund decisions approving with probability `rate`, sent in order, 100 per request. */
async function decide(count: number, rate: number): Promise<void> {
  await refunds.send(tracer, () => provider.forceFlush(), count, rate);
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${collector.apiUrl}${path}`);
  return { status: res.status, body: await res.json() };
}

test(
  'a planted shift (60 % → 80 % approvals) is stored as an alert: GET /v1/alerts lists it with its evidence, its example decisions resolve',
  { timeout: 180_000 },
  async () => {
    await decide(1000, 0.6);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual((await get('/v1/alerts')).body, { alerts: [], next_cursor: null }, `alerts on a stable stream:\n${collector.logs()}`);

    await decide(400, 0.8);
    const stored = await eventually(async () => (await get('/v1/alerts')).body.alerts.length > 0, 30_000);
    assert.ok(stored, `no alert stored after the shift:\n${collector.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const alerts: DecisionAlert[] = (await get('/v1/alerts')).body.alerts;
    assert.equal(alerts.length, 1, 'one shift, one alert');
    const [alert] = alerts;
    assert.equal(alert.tenant, 'acme');
    assert.equal(alert.type, 'refund.approve');
    assert.equal(alert.version, 'v2');
    assert.ok(
      (alert.subject === 'approved' && alert.direction === 'up') || (alert.subject === 'denied' && alert.direction === 'down'),
      `${alert.subject} ${alert.direction}`,
    );
    // The connector's per-outcome CUSUMs or its chi-square on the mix, whichever finds the shift first.
    let approvalBaseline: number;
    let approvalNow: number;
    if (alert.kind === 'outcome_mix') {
      assert.ok(alert.statistic! > 0 && alert.degrees_of_freedom === 1, `chi-square ${alert.statistic} with ${alert.degrees_of_freedom} df`);
      const approved = alert.outcome_counts!.find((c) => c.outcome === 'approved')!;
      const total = (side: 'baseline' | 'current') => alert.outcome_counts!.reduce((sum, c) => sum + c[side], 0);
      assert.equal(total('baseline'), alert.baseline.count);
      approvalBaseline = approved.baseline / total('baseline');
      approvalNow = approved.current / total('current');
    } else {
      assert.equal(alert.kind, 'outcome_rate');
      assert.match(alert.message, /^decision anomaly: rate of outcome "(approved|denied)" of refund.approve v2 went (up|down)$/);
      assert.equal(alert.baseline.count, 500);
      assert.ok(alert.current.count > 0);
      approvalBaseline = alert.subject === 'approved' ? alert.baseline.rate! : 1 - alert.baseline.rate!;
      approvalNow = alert.subject === 'approved' ? alert.current.rate! : 1 - alert.current.rate!;
    }
    assert.ok(Math.abs(approvalBaseline - 0.6) < 0.06, `baseline approval rate ${approvalBaseline}`);
    assert.ok(approvalNow > approvalBaseline, `current approval rate ${approvalNow}`);
    assert.ok(alert.p_value !== null && alert.p_value < 0.05, `p ${alert.p_value}`);
    assert.ok(Date.parse(alert.at) > Date.now() - 5 * 60_000);
    assert.equal(alert.example_decision_ids.length, 5);

    for (const id of alert.example_decision_ids) {
      const decision = await get(`/v1/decisions/${encodeURIComponent(id)}`);
      assert.equal(decision.status, 200, `example decision ${id}: ${JSON.stringify(decision.body)}`);
      assert.equal(decision.body.tenant, 'acme');
      assert.equal(decision.body.type, 'refund.approve');
      // The examples are decisions after the shift began (the 1001st decision on).
      assert.ok(Number(id.split('-').at(-1)) > 1000, id);
    }

    const one = await get(`/v1/alerts/${alert.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, alert);
    assert.equal((await get('/v1/alerts/no-such-alert')).status, 404);

    // Filters.
    assert.equal((await get(`/v1/alerts?type=refund.approve.v2&kind=${alert.kind}&tenant=acme&since=1h`)).body.alerts.length, 1);
    assert.equal((await get('/v1/alerts?type=loan.grant')).body.alerts.length, 0);
    assert.equal((await get('/v1/alerts?kind=confidence_mean')).body.alerts.length, 0);
    assert.equal((await get('/v1/alerts?until=1h')).body.alerts.length, 0);
  },
);

test('GET /v1/alerts answers 400 with a clear message on bad parameters', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/v1/alerts?since=yesterday', /invalid since "yesterday": expected RFC 3339/],
    ['/v1/alerts?limit=0', /invalid limit "0"/],
    ['/v1/alerts?cursor=garbage', /invalid cursor/],
    ['/v1/alerts?outcome=approved', /unknown query parameter "outcome" \(known: tenant, type, version, kind, since, until, limit, cursor\)/],
    ['/v1/alerts/some-id?type=x', /unknown query parameter "type"/],
  ];
  for (const [path, message] of cases) {
    const { status, body } = await get(path);
    assert.equal(status, 400, path);
    assert.match(body.error, message, path);
  }
});
