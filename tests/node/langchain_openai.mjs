// @langchain/openai's ChatOpenAI, unchanged, against gameday's live fake vendor, run by the e2e
// test "LangChain's ChatOpenAI invokes and streams through the live fake vendor".
//
// Environment (or argv): GAMEDAY_VENDOR_URL (the vendor's base URL, http://HOST:PORT/v1). Exits 0
// when every check passes (printing "langchain_openai: ok"), else 1 with the reason on stderr.
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
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
} catch (e) {
  fail(`${e?.constructor?.name}: ${e?.message}`);
}

console.log('langchain_openai: ok');
