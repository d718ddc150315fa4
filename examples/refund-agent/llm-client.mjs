// The agent's LLM call: a chat completion against the provider's HTTP API (here the local
// stand-in), in a span that follows the OTel GenAI conventions so token usage can be rolled up.
import { traced } from '@decision-trace/sdk';

const MODEL = 'gpt-4o-mini';

export function askModel(baseUrl, order, reason) {
  return traced({ name: `chat ${MODEL}`, kind: 'LLM' }, async (span) => {
    span.setAttributes({ 'gen_ai.operation.name': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': MODEL });
    const response = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages: [
          { role: 'system', content: 'You advise on refunds. Answer with JSON: {decision, confidence, rationale}.' },
          { role: 'user', content: `order: ${order.orderId}\namount: ${order.amount}\nreason: ${reason}` },
        ],
      }),
    });
    if (!response.ok) throw new Error(`LLM answered ${response.status}`);
    const completion = await response.json();
    span.setAttributes({
      'gen_ai.response.model': completion.model,
      'gen_ai.response.id': completion.id,
      'gen_ai.usage.input_tokens': completion.usage.prompt_tokens,
      'gen_ai.usage.output_tokens': completion.usage.completion_tokens,
    });
    return JSON.parse(completion.choices[0].message.content);
  });
}
