// The unchanged official clients against a drill's fake vendor (the URL a `gameday drill` prints
// on its `vendor` line), run by the e2e test "The official openai, AzureOpenAI and anthropic
// clients answer from a running drill's vendor": one chat completion (plain and streamed), one
// Responses API call, one Azure OpenAI chat completion and one Anthropic message.
//
// Environment (or argv): GAMEDAY_VENDOR_URL (the drill's vendor base URL, http://HOST:PORT/v1).
// Exits 0 when every check passes (printing one line per client, then "drill_clients: ok"), else 1
// with the reason on stderr.
import OpenAI, { AzureOpenAI } from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { checks } from './checks.mjs';

const baseURL = process.env.GAMEDAY_VENDOR_URL || process.argv[2];

const { fail, check } = checks('drill_clients');

check(baseURL, 'set GAMEDAY_VENDOR_URL');
const endpoint = baseURL.replace(/\/v1\/?$/, '');
const model = 'nw-clinical-large';
const instructions = 'Answer only from the context and cite the document id like [doc:ID] after each sentence.';
const input =
  'Question: What is the copay for physical therapy?\n' +
  '[doc:policy-gold-pt-v2] Physical therapy is covered up to 20 visits per year. ' +
  'The copay for physical therapy is $30 per visit.';
const messages = [
  { role: 'system', content: instructions },
  { role: 'user', content: input },
];
// Each answer is the grounded one, cited.
const grounded = (text) => typeof text === 'string' && text.includes('$30') && text.includes('[doc:policy-gold-pt-v2]');

try {
  const openai = new OpenAI({ baseURL, apiKey: 'sk-gameday-test', maxRetries: 0, timeout: 10000 });
  const chat = await openai.chat.completions.create({ model, messages });
  check(grounded(chat.choices[0].message.content), `chat: ${JSON.stringify(chat.choices[0].message)}`);
  let streamed = '';
  for await (const chunk of await openai.chat.completions.create({ model, messages, stream: true })) {
    streamed += chunk.choices[0]?.delta?.content ?? '';
  }
  check(streamed === chat.choices[0].message.content, 'chat: the streamed answer differs');
  console.log('drill_clients: openai chat');

  const res = await openai.responses.create({ model, instructions, input });
  check(res.status === 'completed' && grounded(res.output_text), `responses: ${JSON.stringify(res.output)}`);
  console.log('drill_clients: openai responses');

  const azure = new AzureOpenAI({ endpoint, apiKey: 'azure-key', apiVersion: '2024-10-21', maxRetries: 0, timeout: 10000 });
  const azureChat = await azure.chat.completions.create({ model, messages });
  check(azureChat.model === model && grounded(azureChat.choices[0].message.content), 'azure chat: not the grounded answer');
  console.log('drill_clients: azure chat');

  const anthropic = new Anthropic({ baseURL: endpoint, apiKey: 'sk-ant-gameday-test', maxRetries: 0, timeout: 10000 });
  const message = await anthropic.messages.create({
    model,
    max_tokens: 256,
    system: instructions,
    messages: [{ role: 'user', content: input }],
  });
  check(message.stop_reason === 'end_turn' && grounded(message.content[0]?.text), `messages: ${JSON.stringify(message.content)}`);
  console.log('drill_clients: anthropic messages');
} catch (e) {
  fail(`${e?.constructor?.name}: ${e?.message}`);
}

console.log('drill_clients: ok');
