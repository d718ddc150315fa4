import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceServiceName, toContextSpan } from '../src/context-span.js';
import { BASE_TIME_NANOS, MILLI, span, spanId, TRACE_ID } from './span-builders.js';

test('a GenAI chat span becomes an LLM context span with model and usage', () => {
  const chat = span({
    spanId: spanId(2),
    parentSpanId: spanId(1),
    name: 'chat gpt-4o',
    kind: 3,
    endTimeUnixNano: BASE_TIME_NANOS + 1_234_567n,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.output_tokens': 300,
      'gen_ai.usage.cache_read.input_tokens': 1000,
    },
  });
  const context = toContextSpan(chat, 'acme', 'agent-service');
  assert.deepEqual(context, {
    tenant: 'acme',
    trace_id: TRACE_ID,
    span_id: spanId(2),
    parent_span_id: spanId(1),
    name: 'chat gpt-4o',
    kind: 'LLM',
    kind_source: 'gen_ai',
    span_kind: 'client',
    service_name: 'agent-service',
    start_time: '2024-05-01T10:00:00.000Z',
    end_time: '2024-05-01T10:00:00.001234567Z',
    start_time_unix_nano: BASE_TIME_NANOS.toString(),
    end_time_unix_nano: (BASE_TIME_NANOS + 1_234_567n).toString(),
    duration_ms: 1.234567,
    status: 'unset',
    status_message: null,
    operation: 'chat',
    model: 'gpt-4o-2024-08-06',
    agent_name: null,
    tool_name: null,
    token_usage: { input: 1200, output: 300, cached: 1000, total: 1500 },
  });
});

test('tool and agent names from GenAI, OpenInference and Traceloop; root, status and bad times', () => {
  const tool = toContextSpan(span({ spanId: spanId(3), attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'lookup_order' } }), 't', null);
  assert.equal(tool.kind, 'TOOL');
  assert.equal(tool.tool_name, 'lookup_order');
  assert.equal(tool.parent_span_id, null, 'a root span has no parent');

  const agent = toContextSpan(
    span({
      spanId: spanId(4),
      status: { code: 2, message: 'agent gave up' },
      attributes: { 'traceloop.span.kind': 'agent', 'traceloop.entity.name': 'refund-agent' },
    }),
    't',
    null,
  );
  assert.equal(agent.kind, 'AGENT');
  assert.equal(agent.agent_name, 'refund-agent');
  assert.equal(agent.status, 'error');
  assert.equal(agent.status_message, 'agent gave up');

  const genAiAgent = toContextSpan(
    span({ spanId: spanId(5), attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'triage' } }),
    't',
    null,
  );
  assert.equal(genAiAgent.agent_name, 'triage');

  const backwards = toContextSpan(span({ spanId: spanId(6), endTimeUnixNano: BASE_TIME_NANOS - MILLI, status: { code: 1, message: '' } }), 't', null);
  assert.equal(backwards.duration_ms, null);
  assert.equal(backwards.status, 'ok');
  const timeless = toContextSpan(span({ spanId: spanId(7), startTimeUnixNano: 0n, endTimeUnixNano: 0n }), 't', null);
  assert.equal(timeless.start_time, null);
  assert.equal(timeless.duration_ms, null);
  assert.equal(timeless.kind, null);
});

test('resourceServiceName', () => {
  assert.equal(resourceServiceName({ attributes: { 'service.name': 'svc' }, droppedAttributesCount: 0 }), 'svc');
  assert.equal(resourceServiceName({ attributes: {}, droppedAttributesCount: 0 }), null);
});

test('span times: RFC 3339 as Date#toISOString writes it plus the exact µs or ns, across seconds, days and the year range', () => {
  const times = [
    1n,
    999_999n,
    1_000_000n,
    BASE_TIME_NANOS,
    BASE_TIME_NANOS + 999_999_999n,
    BASE_TIME_NANOS + 1_000_000_000n,
    BASE_TIME_NANOS + 7n * MILLI,
    BASE_TIME_NANOS + 70n * MILLI + 1n,
    BASE_TIME_NANOS + 86_400_000n * MILLI,
    253_402_300_799_999_999_999n, // 9999-12-31T23:59:59.999Z
    253_402_300_800_000_000_000n, // year 10000: extended-year form
  ];
  for (const nanos of times) {
    // Interleaved start and end times in different seconds: a reused second must never leak.
    const context = toContextSpan(span({ startTimeUnixNano: nanos, endTimeUnixNano: BASE_TIME_NANOS + 5n * MILLI }), 'acme', null);
    const subMillis = nanos % MILLI;
    const digits = String(subMillis).padStart(6, '0').replace(/000$/, '');
    const millisText = new Date(Number(nanos / MILLI)).toISOString();
    assert.equal(context.start_time, subMillis === 0n ? millisText : millisText.replace('Z', `${digits}Z`), `${nanos}`);
    assert.equal(context.end_time, '2024-05-01T10:00:00.005Z');
  }
  assert.equal(toContextSpan(span({ startTimeUnixNano: 0n }), 'acme', null).start_time, null);
  assert.equal(toContextSpan(span({ startTimeUnixNano: 8_640_000_000_000_001_000_000n }), 'acme', null).start_time, null, 'beyond the Date range');
});
