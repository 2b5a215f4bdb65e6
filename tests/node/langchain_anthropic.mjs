// @langchain/anthropic's ChatAnthropic, unchanged, against gameday's live fake vendor (Anthropic
// Messages), run by the e2e test "LangChain's ChatAnthropic invokes, streams and calls a tool
// through the live fake vendor".
//
// Environment (or argv): GAMEDAY_VENDOR_URL (the vendor's base URL, http://HOST:PORT/v1). Exits 0
// when every check passes (printing "langchain_anthropic: ok"), else 1 with the reason on stderr.
import { ChatAnthropic } from '@langchain/anthropic';
import { HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { checks } from './checks.mjs';

const vendorUrl = process.env.GAMEDAY_VENDOR_URL || process.argv[2];

const { fail, check } = checks('langchain_anthropic');

check(vendorUrl, 'set GAMEDAY_VENDOR_URL');
const llm = new ChatAnthropic({
  model: 'nw-clinical-large',
  apiKey: 'sk-ant-gameday-test',
  maxRetries: 0,
  maxTokens: 256,
  // The client adds /v1/messages itself.
  anthropicApiUrl: vendorUrl.replace(/\/v1\/?$/, ''),
});

const messages = [
  new SystemMessage('Answer only from the context and cite the document id like [doc:ID] after each sentence.'),
  new HumanMessage(
    'Question: What is the copay for physical therapy?\n' +
      '[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. ' +
      'The copay for physical therapy is $30 per visit.',
  ),
];

const benefitTool = {
  name: 'get_benefit',
  description: 'Looks up a member benefit',
  input_schema: {
    type: 'object',
    properties: { patient_id: { type: 'string' }, topic: { type: 'string' } },
    required: ['patient_id', 'topic'],
  },
};

try {
  const reply = await llm.invoke(messages);
  const text = typeof reply.content === 'string' ? reply.content : reply.content.map((b) => b.text ?? '').join('');
  check(text.includes('$30'), 'invoke: the answer lacks the copay');
  check(reply.usage_metadata && reply.usage_metadata.total_tokens > 0, 'invoke: no usage metadata');

  let streamed = '';
  let chunks = 0;
  for await (const chunk of await llm.stream(messages)) {
    ++chunks;
    streamed += typeof chunk.content === 'string' ? chunk.content : chunk.content.map((b) => b.text ?? '').join('');
  }
  check(chunks > 2, `stream: only ${chunks} chunks`);
  check(streamed === text, 'stream: the streamed answer differs from the invoked one');

  // A forced tool call, then its result handed back.
  const withTool = llm.bindTools([benefitTool], { tool_choice: 'any' });
  const ask = new HumanMessage('How many physical therapy visits are left for SYN-0012345?');
  const call = await withTool.invoke([ask]);
  check(call.tool_calls?.length === 1, `tool: ${call.tool_calls?.length} tool calls`);
  const tc = call.tool_calls[0];
  check(tc.name === 'get_benefit' && tc.args.patient_id === 'SYN-0012345', `tool call ${JSON.stringify(tc)}`);
  const answer = await llm.bindTools([benefitTool]).invoke([
    ask,
    call,
    new ToolMessage({ tool_call_id: tc.id, content: '12 physical therapy visits are left this year.' }),
  ]);
  const answerText = typeof answer.content === 'string' ? answer.content : answer.content.map((b) => b.text ?? '').join('');
  check(answerText.includes('12 physical therapy visits'), 'tool: the follow-up is not answered from the result');
} catch (e) {
  fail(`${e?.constructor?.name}: ${e?.message}`);
}

console.log('langchain_anthropic: ok');
