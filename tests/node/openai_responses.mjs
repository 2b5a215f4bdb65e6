// The unchanged official openai SDK's Responses API and its AzureOpenAI client against gameday's
// live fake vendor, run by the e2e test "The official openai SDK's Responses API and AzureOpenAI
// client work against gameday serve".
//
// Environment (or argv): GAMEDAY_VENDOR_URL (the vendor's base URL, http://HOST:PORT/v1) and
// GAMEDAY_CONTROL_URL (the control API, to add and remove faults). Exits 0 when every check
// passes (printing "openai_responses: ok"), else 1 with the reason on stderr. Prints no bodies.
import OpenAI, { AzureOpenAI } from 'openai';
import { checks, controlApi, header } from './checks.mjs';

const baseURL = process.env.GAMEDAY_VENDOR_URL || process.argv[2];
const controlUrl = process.env.GAMEDAY_CONTROL_URL || process.argv[3];
const model = 'nw-clinical-large';

const { fail, check, thrown } = checks('openai_responses');
const control = controlApi(controlUrl, fail);

const instructions = 'Answer only from the context and cite the document id like [doc:ID] after each sentence.';
const input =
  'Question: How many physical therapy visits per year does the plan cover?\n' +
  '[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. ' +
  'The copay for physical therapy is $30 per visit.';

check(baseURL && controlUrl, 'set GAMEDAY_VENDOR_URL and GAMEDAY_CONTROL_URL');
const client = new OpenAI({ baseURL, apiKey: 'sk-gameday-test', maxRetries: 0, timeout: 10000 });

// Plain: output_text (the SDK's own convenience) holds the grounded, cited answer.
const plain = await client.responses.create({ model, instructions, input });
check(plain.object === 'response' && plain.status === 'completed', `status ${plain.status}`);
check(plain.output_text.includes('20 visits'), 'the answer lacks the grounded fact');
check(plain.output_text.includes('[doc:policy-gold-pt-v2]'), 'the answer is not cited');
check(plain.usage.total_tokens === plain.usage.input_tokens + plain.usage.output_tokens, 'usage does not add up');
const fetched = await client.responses.retrieve(plain.id);
check(fetched.id === plain.id && fetched.output[0].content[0].text === plain.output_text, 'retrieve gives another response');

// Input items and a follow-up through previous_response_id.
{
  const items = await client.responses.create({
    model,
    input: [{ role: 'developer', content: instructions }, { role: 'user', content: [{ type: 'input_text', text: input }] }],
  });
  check(items.output_text === plain.output_text, 'input items answer differently from a string input');
  const next = await client.responses.create({ model, input: 'Question: thanks', previous_response_id: plain.id });
  check(next.previous_response_id === plain.id, 'previous_response_id not echoed');
}

// Streaming: the documented event sequence; the deltas give back the same answer.
{
  const stream = await client.responses.create({ model, instructions, input, stream: true });
  const types = [];
  let text = '';
  let done = null;
  for await (const event of stream) {
    if (types[types.length - 1] !== event.type) types.push(event.type);
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed') done = event.response;
  }
  const want = ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
    'response.output_item.done', 'response.completed'];
  check(JSON.stringify(types) === JSON.stringify(want), `stream events ${types.join(', ')}`);
  check(text === plain.output_text, 'the streamed answer differs from the plain one');
  check(done && done.status === 'completed', 'no completed response at the end of the stream');
}

// Structured output: text.format json_schema.
{
  const res = await client.responses.create({
    model, instructions, input,
    text: { format: { type: 'json_schema', name: 'cited_answer', strict: true, schema: {
      type: 'object',
      properties: { answer: { type: 'string' }, citations: { type: 'array', items: { type: 'string' } } },
      required: ['answer', 'citations'], additionalProperties: false,
    } } },
  });
  const parsed = JSON.parse(res.output_text);
  check(parsed.answer.includes('20 visits'), 'json answer lacks the fact');
  check(parsed.citations.includes('policy-gold-pt-v2'), 'json citations missing');
}

// A forced function call, then its output sent back.
{
  const tools = [{
    type: 'function', name: 'lookup_benefit', description: 'Looks up a plan benefit.', strict: false,
    parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  }];
  const called = await client.responses.create({ model, input, tools, tool_choice: 'required' });
  const fc = called.output.find((o) => o.type === 'function_call');
  check(fc && fc.name === 'lookup_benefit', 'no lookup_benefit function call');
  check(typeof JSON.parse(fc.arguments).query === 'string', 'the arguments lack the query');
  const answered = await client.responses.create({
    model, tools, previous_response_id: called.id,
    input: [{ type: 'function_call_output', call_id: fc.call_id, output: '{"visits": 20}' }],
  });
  check(answered.output.some((o) => o.type === 'message'), 'no message after the function call output');
}

// tool_choice auto: a question the context does not answer calls the tool that fits, with
// arguments from the prompt; the function_call_output comes back and the answer cites it.
{
  const tools = [
    {
      type: 'function', name: 'get_prior_auth_status', description: 'Look up the status of a prior authorization for a patient.',
      parameters: { type: 'object', properties: { mrn: { type: 'string' } }, required: ['mrn'] },
    },
    {
      type: 'function', name: 'get_copay_coverage', description: 'Look up the copay coverage of a plan benefit.',
      parameters: { type: 'object', properties: { benefit: { type: 'string' } }, required: ['benefit'] },
    },
  ];
  const ask = 'Question: What is the prior authorization status for patient SYN-0012345?';
  const called = await client.responses.create({ model, instructions, input: ask, tools });
  const calls = called.output.filter((o) => o.type === 'function_call');
  check(calls.length === 1 && calls[0].name === 'get_prior_auth_status', `auto called ${calls.map((c) => c.name)}`);
  check(JSON.parse(calls[0].arguments).mrn === 'SYN-0012345', `auto arguments ${calls[0].arguments}`);
  const answered = await client.responses.create({
    model, instructions, tools, previous_response_id: called.id,
    input: [{ type: 'function_call_output', call_id: calls[0].call_id, output: '{"id": "pa-77", "status": "approved"}' }],
  });
  check(answered.output_text.includes('approved'), 'the answer does not read the function_call_output');
  check(answered.output_text.includes('[doc:pa-77]'), 'the answer does not cite the function_call_output');
  // The same round trip with the whole conversation as input, as stateless clients send it.
  const replayed = await client.responses.create({
    model, instructions, tools, store: false,
    input: [{ role: 'user', content: ask }, ...called.output,
      { type: 'function_call_output', call_id: calls[0].call_id, output: '{"id": "pa-77", "status": "approved"}' }],
  });
  check(replayed.output_text === answered.output_text, 'the stateless round trip answers differently');

  // Two tools that apply: parallel function calls (one with parallel_tool_calls false).
  const both = 'Question: What is the prior authorization status and the copay coverage for patient SYN-0012345?';
  const parallel = await client.responses.create({ model, input: both, tools });
  const names = parallel.output.filter((o) => o.type === 'function_call').map((o) => o.name);
  check(JSON.stringify(names) === '["get_prior_auth_status","get_copay_coverage"]', `parallel calls ${names}`);
  const single = await client.responses.create({ model, input: both, tools, parallel_tool_calls: false });
  check(single.output.filter((o) => o.type === 'function_call').length === 1, 'parallel_tool_calls false made several calls');
  const stream = await client.responses.create({ model, input: both, tools, stream: true });
  const indexes = [];
  for await (const event of stream) if (event.type === 'response.function_call_arguments.done') indexes.push(event.output_index);
  check(JSON.stringify(indexes) === '[0,1]', `streamed call output indexes ${indexes}`);
}

// A 429 fault: RateLimitError with retry-after; a stream break makes the iteration throw.
{
  await control('POST', '/faults', {
    id: 'rl', target: 'vendor:primary', kind: 'error', status: 429, retry_after: '1s', first_n: 1, routes: ['responses'],
  });
  const e = await thrown(() => client.responses.create({ model, input }), '429');
  check(e instanceof OpenAI.RateLimitError, `expected RateLimitError, got ${e?.constructor?.name}: ${e?.message}`);
  check(header(e, 'retry-after') === '1', `retry-after header ${header(e, 'retry-after')}`);
  await control('DELETE', '/faults/rl');
  await control('POST', '/faults', {
    id: 'brk', target: 'vendor:primary', kind: 'stream_break', after_tokens: 2, first_n: 1,
  });
  let text = '';
  const b = await thrown(async () => {
    const stream = await client.responses.create({ model, input, stream: true });
    for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
  }, 'stream_break');
  check(text.length > 0 && text.length < plain.output_text.length, 'stream_break: expected part of the answer');
  check(b instanceof Error, 'stream_break: expected an error');
  await control('DELETE', '/faults/brk');
}

// Azure OpenAI: the AzureOpenAI client, unchanged but for its endpoint.
{
  const endpoint = baseURL.replace(/\/v1\/?$/, '');
  const azure = new AzureOpenAI({ endpoint, apiKey: 'azure-key', apiVersion: '2024-10-21', maxRetries: 0, timeout: 10000 });
  const chat = await azure.chat.completions.create({
    model, messages: [{ role: 'system', content: instructions }, { role: 'user', content: input }],
  });
  check(chat.choices[0].message.content.includes('20 visits'), 'Azure chat lacks the grounded fact');
  const stream = await azure.chat.completions.create({
    model, stream: true, messages: [{ role: 'system', content: instructions }, { role: 'user', content: input }],
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  check(text === chat.choices[0].message.content, 'Azure streamed chat differs');
  const emb = await azure.embeddings.create({ model: 'text-embedding-3-small', input: 'copay', dimensions: 16 });
  check(emb.data[0].embedding.length === 16, 'Azure embedding of the wrong size');
  const res = await azure.responses.create({ model, instructions, input });
  check(res.output_text === plain.output_text, 'Azure responses answer differently');

  const missing = await thrown(
    () => new AzureOpenAI({ endpoint, apiKey: 'k', apiVersion: '2024-10-21', maxRetries: 0 }).chat.completions.create({
      model: 'no-such-deployment', messages: [{ role: 'user', content: 'hi' }],
    }), 'unknown deployment');
  check(missing instanceof OpenAI.NotFoundError, `expected NotFoundError, got ${missing?.constructor?.name}`);
  check(missing.code === 'DeploymentNotFound', `code ${missing.code}`);

  await control('POST', '/faults', {
    id: 'azrl', target: 'vendor:primary', kind: 'error', status: 429, retry_after: '1s', first_n: 1,
  });
  const limited = await thrown(() => azure.chat.completions.create({ model, messages: [{ role: 'user', content: input }] }),
    'Azure 429');
  check(limited instanceof OpenAI.RateLimitError, `expected RateLimitError, got ${limited?.constructor?.name}`);
  check(header(limited, 'retry-after') === '1', `Azure retry-after ${header(limited, 'retry-after')}`);
  check(limited.code === '429', `Azure 429 code ${limited.code}`);
  await control('DELETE', '/faults/azrl');
}

console.log('openai_responses: ok');
