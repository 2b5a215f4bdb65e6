// @langchain/openai's ChatOpenAI, unchanged, against gameday's live fake vendor, run by the e2e
// test "LangChain's ChatOpenAI invokes, streams and calls tools through the live fake vendor".
//
// Environment (or argv): GAMEDAY_VENDOR_URL (the vendor's base URL, http://HOST:PORT/v1). Exits 0
// when every check passes (printing "langchain_openai: ok"), else 1 with the reason on stderr.
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, SystemMessage, ToolMessage } from '@langchain/core/messages';
import { checks } from './checks.mjs';

const baseURL = process.env.GAMEDAY_VENDOR_URL || process.argv[2];

const { fail, check } = checks('langchain_openai');

check(baseURL, 'set GAMEDAY_VENDOR_URL');
const llm = new ChatOpenAI({
  model: 'nw-clinical-large',
  apiKey: 'sk-gameday-test',
  maxRetries: 0,
  timeout: 10000,
  configuration: { baseURL },
});

const messages = [
  new SystemMessage('Answer only from the context and cite the document id like [doc:ID] after each sentence.'),
  new HumanMessage(
    'Question: What is the copay for physical therapy?\n' +
      '[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. ' +
      'The copay for physical therapy is $30 per visit.',
  ),
];

// An OpenAI function tool, as bindTools takes it.
const benefitTool = {
  type: 'function',
  function: {
    name: 'get_benefit',
    description: 'Looks up how many physical therapy visits a member has left',
    parameters: {
      type: 'object',
      properties: { patient_id: { type: 'string' }, topic: { type: 'string' } },
      required: ['patient_id', 'topic'],
    },
  },
};

const ask = new HumanMessage('How many physical therapy visits are left for SYN-0012345?');

// Checks one tool call of `message` to get_benefit for the asked patient; returns it.
function benefitCall(message, how) {
  check(message.tool_calls?.length === 1, `${how}: ${message.tool_calls?.length} tool calls`);
  const tc = message.tool_calls[0];
  check(tc.name === 'get_benefit' && tc.args.patient_id === 'SYN-0012345', `${how}: tool call ${JSON.stringify(tc)}`);
  check(typeof tc.id === 'string' && tc.id.length > 0, `${how}: the tool call has no id`);
  return tc;
}

try {
  const reply = await llm.invoke(messages);
  check(typeof reply.content === 'string' && reply.content.includes('$30'), 'invoke: the answer lacks the copay');
  check(reply.usage_metadata && reply.usage_metadata.total_tokens > 0, 'invoke: no usage metadata');

  let streamed = '';
  let chunks = 0;
  for await (const chunk of await llm.stream(messages)) {
    ++chunks;
    streamed += chunk.content;
  }
  check(chunks > 2, `stream: only ${chunks} chunks`);
  check(streamed === reply.content, 'stream: the streamed answer differs from the invoked one');

  // A forced tool call (tool_choice required), and one the model chooses itself (auto).
  const forced = benefitCall(await llm.bindTools([benefitTool], { tool_choice: 'required' }).invoke([ask]), 'forced');
  const auto = llm.bindTools([benefitTool]);
  const call = await auto.invoke([ask]);
  const tc = benefitCall(call, 'auto');
  check(JSON.stringify(tc.args) === JSON.stringify(forced.args), 'auto: other arguments than the forced call');
  // The tool's result handed back: the model answers from it and calls nothing more.
  const answer = await auto.invoke([
    ask,
    call,
    new ToolMessage({ tool_call_id: tc.id, content: '12 physical therapy visits are left this year.' }),
  ]);
  check((answer.tool_calls ?? []).length === 0, `tool result: ${answer.tool_calls?.length} more tool calls`);
  check(
    typeof answer.content === 'string' && answer.content.includes('12 physical therapy visits'),
    `tool result: the follow-up is not answered from the result: ${JSON.stringify(answer.content)}`,
  );
  console.log('langchain_openai: tools forced, auto and answered from the result');
} catch (e) {
  fail(`${e?.constructor?.name}: ${e?.message}`);
}

console.log('langchain_openai: ok');
