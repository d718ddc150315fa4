import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { makeSdk, sleep } from './sdk-harness.js';

function spanNamed(spans: ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  assert.ok(span, `a span named ${name}`);
  return span;
}

describe('observe() and traced()', () => {
  test('sync and async functions: a span each, with kind, tags, metadata, user, session and version', async () => {
    const sdk = makeSdk();
    const add = sdk.dt.observe((a: number, b: number) => a + b, { kind: 'FUNCTION' });
    const search = sdk.dt.observe(
      async function searchOrders(query: string, user: { id: string; session: string }) {
        await sleep(1);
        return [`order for ${query}`, user.id];
      },
      {
        kind: 'TOOL',
        tags: ['production', 'orders'],
        metadata: { region: 'eu', shard: 3 },
        userId: (_query, user) => user.id,
        sessionId: (_query, user) => user.session,
        version: '2.1.0',
      },
    );
    assert.equal(add(2, 3), 5);
    assert.equal(add.name, '');
    assert.deepEqual(await search('kettle', { id: 'u-1', session: 's-9' }), ['order for kettle', 'u-1']);
    assert.equal(search.name, 'searchOrders');

    const spans = sdk.exportedSpans();
    const tool = spanNamed(spans, 'searchOrders');
    assert.equal(tool.attributes['openinference.span.kind'], 'TOOL');
    assert.equal(tool.attributes['gen_ai.operation.name'], 'execute_tool');
    assert.equal(tool.attributes['gen_ai.tool.name'], 'searchOrders');
    assert.deepEqual(tool.attributes['tag.tags'], ['production', 'orders']);
    assert.equal(tool.attributes.metadata, '{"region":"eu","shard":3}');
    assert.equal(tool.attributes['user.id'], 'u-1');
    assert.equal(tool.attributes['session.id'], 's-9');
    assert.equal(tool.attributes['app.version'], '2.1.0');
    assert.equal(tool.attributes['input.value'], undefined, 'input capture is off by default');
    assert.equal(tool.attributes['output.value'], undefined, 'output capture is off by default');
    assert.equal(tool.status.code, SpanStatusCode.UNSET);
    const fn = spanNamed(spans, 'anonymous');
    assert.equal(fn.attributes['openinference.span.kind'], undefined, 'FUNCTION is not an OpenInference kind');
    await sdk.shutdown();
  });

  test('capture: truncated at 5000 characters, safe for class instances, Errors, BigInt and circular references', async () => {
    const sdk = makeSdk();
    class Prompt {
      constructor(
        readonly text: string,
        readonly maxTokens: bigint,
      ) {}
    }
    const context: Record<string, unknown> = { name: 'ctx', error: new TypeError('bad input') };
    context.self = context;
    const complete = sdk.dt.observe(async (prompt: Prompt, ctx: Record<string, unknown>) => ({ completion: 'x'.repeat(6000), ctx }), {
      name: 'llm.complete',
      kind: 'LLM',
      captureInput: true,
      captureOutput: true,
    });
    const echo = sdk.dt.observe((text: string) => text, { name: 'echo', captureInput: true, captureOutput: true });
    await complete(new Prompt('hello', 256n), context);
    echo('plain text');

    const spans = sdk.exportedSpans();
    const llm = spanNamed(spans, 'llm.complete');
    assert.equal(llm.attributes['openinference.span.kind'], 'LLM');
    assert.deepEqual(JSON.parse(llm.attributes['input.value'] as string), [
      { text: 'hello', maxTokens: '256' },
      { name: 'ctx', error: { name: 'TypeError', message: 'bad input' }, self: '[Circular]' },
    ]);
    assert.equal(llm.attributes['input.mime_type'], 'application/json');
    const output = llm.attributes['output.value'] as string;
    assert.equal(output.length, 5001, '5000 characters and an ellipsis');
    assert.ok(output.startsWith('{"completion":"xxxx'));
    assert.ok(output.endsWith('…'));
    const plain = spanNamed(spans, 'echo');
    assert.equal(plain.attributes['input.value'], 'plain text');
    assert.equal(plain.attributes['input.mime_type'], 'text/plain');
    assert.equal(plain.attributes['output.value'], 'plain text');
    await sdk.shutdown();
  });

  test('exceptions: status ERROR, an exception event, the error rethrown unchanged (sync and async)', async () => {
    const sdk = makeSdk();
    const thrown = new Error('tool crashed');
    const failSync = sdk.dt.observe(
      () => {
        throw thrown;
      },
      { name: 'fail.sync' },
    );
    const failAsync = sdk.dt.observe(
      async () => {
        await sleep(1);
        throw thrown;
      },
      { name: 'fail.async' },
    );
    assert.throws(
      () => failSync(),
      (error) => error === thrown,
    );
    await assert.rejects(failAsync(), (error) => error === thrown);
    for (const name of ['fail.sync', 'fail.async']) {
      const span = spanNamed(sdk.exportedSpans(), name);
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.status.message, 'tool crashed');
      assert.equal(span.events[0].name, 'exception');
      assert.equal(span.events[0].attributes?.['exception.message'], 'tool crashed');
    }
    await sdk.shutdown();
  });

  test('async generators: the span covers the stream, the last item is the output, children nest', async () => {
    const sdk = makeSdk();
    const tokenize = sdk.dt.observe((token: string) => token.toUpperCase(), { name: 'tokenize' });
    const stream = sdk.dt.observe(
      async function* streamTokens(count: number) {
        for (let i = 0; i < count; i++) {
          await sleep(1);
          yield { index: i, token: tokenize(`t${i}`) };
        }
        return 'finished';
      },
      { kind: 'LLM', captureOutput: true },
    );
    const seen: unknown[] = [];
    const iterator = stream(3);
    assert.equal(sdk.exportedSpans().length, 0, 'nothing ended before iteration');
    for await (const item of iterator) seen.push(item);
    assert.equal(seen.length, 3);
    const spans = sdk.exportedSpans();
    const streamSpan = spanNamed(spans, 'streamTokens');
    assert.equal(streamSpan.attributes['output.value'], '{"index":2,"token":"T2"}');
    const tokenSpans = spans.filter((s) => s.name === 'tokenize');
    assert.equal(tokenSpans.length, 3);
    for (const span of tokenSpans) assert.equal(span.parentSpanContext?.spanId, streamSpan.spanContext().spanId);
    await sdk.shutdown();
  });

  test('generators stopped early close the wrapped generator and end the span; errors inside mark it', async () => {
    const sdk = makeSdk();
    let closed = false;
    const numbers = sdk.dt.observe(
      async function* numbers() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      },
      { captureOutput: true },
    );
    for await (const n of numbers()) if (n === 4) break;
    assert.ok(closed, 'the wrapped generator was closed');
    assert.equal(spanNamed(sdk.exportedSpans(), 'numbers').attributes['output.value'], '4');

    const failing = sdk.dt.observe(function* failing() {
      yield 1;
      throw new Error('stream broke');
    }, {});
    const consumed: number[] = [];
    assert.throws(() => {
      for (const n of failing()) consumed.push(n);
    }, /stream broke/);
    assert.deepEqual(consumed, [1]);
    assert.equal(spanNamed(sdk.exportedSpans(), 'failing').status.code, SpanStatusCode.ERROR);

    // A value thrown into the wrapper reaches the wrapped generator, which may handle it.
    const resilient = sdk.dt.observe(function* resilient() {
      try {
        yield 'first';
      } catch (error) {
        yield `recovered from ${(error as Error).message}`;
      }
    });
    const it = resilient();
    assert.equal(it.next().value, 'first');
    assert.equal(it.throw(new Error('hiccup')).value, 'recovered from hiccup');
    assert.equal(it.next().done, true);
    assert.equal(spanNamed(sdk.exportedSpans(), 'resilient').status.code, SpanStatusCode.UNSET);
    await sdk.shutdown();
  });

  test('traced() runs a block in a span; observed code and decisions nest under it; decorator form', async () => {
    const sdk = makeSdk();
    class Agent {
      constructor(readonly name: string) {}
      @sdk.dt.observe({ kind: 'AGENT' })
      async run(task: string): Promise<string> {
        return sdk.dt.decision(
          { type: 'tool.select.v1', actor: { id: this.name, type: 'agent' } },
          (d) => d.outcome(task.includes('refund') ? 'refund_tool' : 'faq_tool').outcomeValue!,
        );
      }
    }
    const result = await sdk.dt.traced({ name: 'handle-request', kind: 'CHAIN', captureOutput: true }, async (span) => {
      span.setAttribute('request.id', 'r-1');
      return new Agent('agent-7').run('refund order o-1');
    });
    assert.equal(result, 'refund_tool');
    const spans = sdk.exportedSpans();
    const root = spanNamed(spans, 'handle-request');
    const agent = spanNamed(spans, 'run');
    const decisionSpan = spanNamed(spans, 'tool.select.v1');
    assert.equal(root.attributes['request.id'], 'r-1');
    assert.equal(root.attributes['openinference.span.kind'], 'CHAIN');
    assert.equal(root.attributes['output.value'], 'refund_tool');
    assert.equal(agent.attributes['gen_ai.agent.name'], 'run');
    assert.equal(agent.parentSpanContext?.spanId, root.spanContext().spanId);
    assert.equal(decisionSpan.parentSpanContext?.spanId, agent.spanContext().spanId);
    await sdk.shutdown();
  });
});
