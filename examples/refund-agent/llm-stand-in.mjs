// A local stand-in for an LLM provider's chat-completions API, so the example runs offline and
// deterministically. It answers in the OpenAI response shape, token usage included.
// Run alone with `node examples/refund-agent/llm-stand-in.mjs` (prints its URL).
import { createServer } from 'node:http';

/** The "model" reads the amount and reason out of the prompt and advises like a cautious clerk. */
function advise(prompt) {
  const amount = Number(/amount: (\d+(?:\.\d+)?)/.exec(prompt)?.[1] ?? 0);
  const reason = /reason: ([^\n]*)/.exec(prompt)?.[1] ?? '';
  if (/changed my mind|no longer want/i.test(reason)) {
    return { decision: 'deny', confidence: 0.71, rationale: 'buyer remorse is outside the refund policy' };
  }
  if (/broken|damaged|never arrived|defect/i.test(reason)) {
    return { decision: 'approve', confidence: amount > 150 ? 0.78 : 0.93, rationale: 'product fault reported' };
  }
  return { decision: 'approve', confidence: 0.6, rationale: 'no red flags found' };
}

export async function startLlmStandIn(port = 0) {
  let completions = 0;
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const request = JSON.parse(body);
      const prompt = request.messages.map((m) => m.content).join('\n');
      const content = JSON.stringify(advise(prompt));
      const promptTokens = Math.ceil(prompt.length / 4);
      const completionTokens = Math.ceil(content.length / 4);
      completions++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-standin-${completions}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: request.model,
          choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
          usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const standIn = await startLlmStandIn(Number(process.env.PORT ?? 0));
  console.log(`LLM stand-in listening on ${standIn.url}`);
}
