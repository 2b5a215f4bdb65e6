// The unchanged official @anthropic-ai/sdk against gameday's live fake vendor (Anthropic
// Messages, POST /v1/messages), run by the e2e test "The official Anthropic SDK sends messages,
// streams, uses a tool and meets 429 and 529 faults".
//
// Environment (or argv): GAMEDAY_VENDOR_URL (the vendor's base URL, http://HOST:PORT/v1) and
// GAMEDAY_CONTROL_URL (the control API). Exits 0 when every check passes (printing
// "anthropic_sdk: ok"), else 1 with the reason on stderr. Prints no bodies.
import Anthropic from '@anthropic-ai/sdk';
import { checks, controlApi } from './checks.mjs';

const vendorUrl = process.env.GAMEDAY_VENDOR_URL || process.argv[2];
const controlUrl = process.env.GAMEDAY_CONTROL_URL || process.argv[3];
const model = 'nw-clinical-large';

const { fail, check, thrown } = checks('anthropic_sdk');
const control = controlApi(controlUrl, fail);

check(vendorUrl && controlUrl, 'set GAMEDAY_VENDOR_URL and GAMEDAY_CONTROL_URL');
// The SDK adds /v1/messages to its base URL itself.
const baseURL = vendorUrl.replace(/\/v1\/?$/, '');
const client = new Anthropic({ baseURL, apiKey: 'sk-ant-gameday-test', maxRetries: 0, timeout: 10000 });

const system = 'Answer only from the context and cite the document id like [doc:ID] after each sentence.';
const question = 'Question: How many physical therapy visits per year does the plan cover?';
const context =
  '[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. ' +
  'The copay for physical therapy is $30 per visit.';
const messages = [{ role: 'user', content: `${question}\n${context}` }];

// Plain.
const msg = await client.messages.create({ model, max_tokens: 256, system, messages });
check(msg.type === 'message' && msg.role === 'assistant', `type ${msg.type} role ${msg.role}`);
const answer = msg.content[0]?.text ?? '';
check(answer.includes('20 visits'), 'the answer lacks the grounded fact');
check(answer.includes('[doc:policy-gold-pt-v2]'), 'the answer is not cited');
check(msg.stop_reason === 'end_turn', `stop_reason ${msg.stop_reason}`);
check(msg.usage.output_tokens > 0 && msg.usage.input_tokens > 0, 'usage is empty');

// Streamed: the raw events in Anthropic's order, and the SDK's accumulated message.
{
  const stream = await client.messages.create({ model, max_tokens: 256, system, messages, stream: true });
  const types = [];
  let text = '';
  for await (const e of stream) {
    types.push(e.type);
    if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
  }
  check(types[0] === 'message_start', `first event ${types[0]}`);
  check(types.at(-1) === 'message_stop' && types.at(-2) === 'message_delta', `last events ${types.slice(-2)}`);
  check(text === answer, 'the streamed text differs from the plain answer');
  const final = await client.messages.stream({ model, max_tokens: 256, system, messages }).finalMessage();
  check(final.content[0].text === answer, 'messages.stream().finalMessage() differs');
  check(final.stop_reason === 'end_turn', `streamed stop_reason ${final.stop_reason}`);
}

// Tool use round trip: a forced tool (any), then the tool result answered from.
{
  const tools = [{
    name: 'get_benefit',
    description: 'Looks up a member benefit',
    input_schema: {
      type: 'object',
      properties: { patient_id: { type: 'string' }, topic: { type: 'string' } },
      required: ['patient_id', 'topic'],
    },
  }];
  const ask = [{ role: 'user', content: 'How many physical therapy visits are left for SYN-0012345?' }];
  const call = await client.messages.create({
    model, max_tokens: 256, tools, tool_choice: { type: 'any' }, messages: ask,
  });
  check(call.stop_reason === 'tool_use', `tool stop_reason ${call.stop_reason}`);
  const use = call.content.find((b) => b.type === 'tool_use');
  check(use && use.name === 'get_benefit', 'no tool_use block');
  check(use.input.patient_id === 'SYN-0012345', `patient_id ${use.input.patient_id}`);
  const result = await client.messages.create({
    model, max_tokens: 256, tools, messages: [
      ...ask,
      { role: 'assistant', content: call.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '12 physical therapy visits are left this year.' }] },
    ],
  });
  check(result.stop_reason === 'end_turn', `follow-up stop_reason ${result.stop_reason}`);
  check(result.content[0].text.includes('12 physical therapy visits'), 'the follow-up is not answered from the tool result');
}

// tool_choice auto (the default): the tool that fits a question the context does not answer is
// used; the tool_result comes back and the answer cites it.
{
  const tools = [{
    name: 'get_prior_auth_status',
    description: 'Look up the status of a prior authorization for a patient.',
    input_schema: { type: 'object', properties: { mrn: { type: 'string' } }, required: ['mrn'] },
  }];
  const ask = [{ role: 'user', content: 'Question: What is the prior authorization status for patient SYN-0012345?' }];
  const call = await client.messages.create({ model, max_tokens: 256, system, tools, messages: ask });
  check(call.stop_reason === 'tool_use', `auto stop_reason ${call.stop_reason}`);
  const use = call.content.find((b) => b.type === 'tool_use');
  check(use && use.input.mrn === 'SYN-0012345', `auto tool input ${JSON.stringify(use?.input)}`);
  const result = await client.messages.create({
    model, max_tokens: 256, system, tools, messages: [
      ...ask,
      { role: 'assistant', content: call.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"id": "pa-77", "status": "approved"}' }] },
    ],
  });
  check(result.stop_reason === 'end_turn', `auto follow-up stop_reason ${result.stop_reason}`);
  const text = result.content[0]?.text ?? '';
  check(text.includes('approved') && text.includes('[doc:pa-77]'), 'the follow-up is not answered from the tool result');
}

// Content the fake vendor cannot read is refused: an image block is a 400 BadRequestError.
{
  const e = await thrown(() => client.messages.create({
    model, max_tokens: 64, messages: [{ role: 'user', content: [
      { type: 'text', text: 'What does this scan show?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
    ] }],
  }), 'image block');
  check(e instanceof Anthropic.BadRequestError, `expected BadRequestError, got ${e?.constructor?.name}`);
  check((e.error?.error?.message ?? '').startsWith('messages.0.content.1.type: image blocks'), `image error ${e.message}`);
}

// A 429 with retry-after: RateLimitError without retries ...
{
  await control('POST', '/faults', {
    id: 'rl', target: 'vendor:primary', kind: 'error', status: 429, retry_after: '1s', first_n: 1, routes: ['messages'],
  });
  const e = await thrown(() => client.messages.create({ model, max_tokens: 64, messages }), '429');
  check(e instanceof Anthropic.RateLimitError, `expected RateLimitError, got ${e?.constructor?.name}: ${e?.message}`);
  check(e.status === 429, `status ${e.status}`);
  check(e.headers?.get('retry-after') === '1', `retry-after ${e.headers?.get('retry-after')}`);
  check((e.error?.error?.type ?? e.type) === 'rate_limit_error', `error type ${JSON.stringify(e.error)}`);
  await control('DELETE', '/faults/rl');
}
// ... and with the SDK's default retries the call succeeds after honouring retry-after.
{
  await control('POST', '/faults', {
    id: 'rl2', target: 'vendor:primary', kind: 'error', status: 429, retry_after: '1s', first_n: 1,
  });
  const retrying = new Anthropic({ baseURL, apiKey: 'sk-ant-gameday-test', timeout: 10000 });
  const t0 = performance.now();
  const res = await retrying.messages.create({ model, max_tokens: 256, system, messages });
  const waited = (performance.now() - t0) / 1000;
  check(res.content[0].text === answer, 'the retried answer differs');
  check(waited >= 0.95, `the retry came after ${waited.toFixed(2)} s, before retry-after (1 s)`);
  await control('DELETE', '/faults/rl2');
  console.log(`anthropic_sdk: retried after ${waited.toFixed(2)} s`);
}

// 529: the SDK's OverloadedError (an InternalServerError).
{
  await control('POST', '/faults', { id: 'ov', target: 'vendor:primary', kind: 'error', status: 529, first_n: 1 });
  const e = await thrown(() => client.messages.create({ model, max_tokens: 64, messages }), '529');
  check(e instanceof Anthropic.InternalServerError, `expected InternalServerError, got ${e?.constructor?.name}`);
  if (Anthropic.OverloadedError) check(e instanceof Anthropic.OverloadedError, 'not an OverloadedError');
  check(e.status === 529 && (e.error?.error?.type ?? e.type) === 'overloaded_error', `529 body ${JSON.stringify(e.error)}`);
  await control('DELETE', '/faults/ov');
}

// Unknown models are 404 not_found_error.
{
  const e = await thrown(() => client.messages.create({ model: 'no-such-model', max_tokens: 8, messages }), 'unknown model');
  check(e instanceof Anthropic.NotFoundError, `expected NotFoundError, got ${e?.constructor?.name}`);
}

console.log('anthropic_sdk: ok');
