// A team's own AI service, as `gameday drill --sut URL` drives it: a small retrieval-augmented
// answer service built on the official openai SDK and fhir-kit-client, pointed at gameday's fake
// vendor and fake EHR only through their base URLs. Run by the e2e test "A drill drives the
// team's own service with --sut ...".
//
// It implements gameday's answer API: POST /v1/answers {"task_type", "patient", "question"} ->
// {"status", "answer", "citations", "model"}; on a vendor or EHR failure it answers
// {"status": "fallback", "cause"} (it never serves an unchecked answer).
//
// Environment: GAMEDAY_VENDOR_URL (http://HOST:PORT/v1), GAMEDAY_EHR_URL (http://HOST:PORT/fhir).
// Listens on 127.0.0.1, an OS-assigned port, and prints "sut http://127.0.0.1:PORT" once
// listening. Logs nothing about requests (they carry PHI-shaped data).
import http from 'node:http';
import OpenAI from 'openai';
import Client from 'fhir-kit-client';

const vendorUrl = process.env.GAMEDAY_VENDOR_URL;
const ehrUrl = process.env.GAMEDAY_EHR_URL;
if (!vendorUrl || !ehrUrl) {
  console.error('sut: set GAMEDAY_VENDOR_URL and GAMEDAY_EHR_URL');
  process.exit(2);
}

const openai = new OpenAI({ baseURL: vendorUrl, apiKey: 'sk-drill', maxRetries: 1, timeout: 10000 });
const fhir = new Client({ baseUrl: ehrUrl });

const SYSTEM = 'You are a clinical operations assistant. Answer the clinician\'s question using only the ' +
  'context documents provided; never use outside knowledge and never guess codes or numbers. Keep the ' +
  'answer to two sentences and cite the document id in brackets like [doc:ID] after each sentence. If ' +
  'the context does not answer the question, refuse: say you cannot answer from the provided records.';

function resources(bundle) {
  return (bundle.entry || []).map((e) => e.resource).filter(Boolean);
}

function documentText(doc) {
  const data = doc.content?.[0]?.attachment?.data;
  return data ? Buffer.from(data, 'base64').toString('utf8') : '';
}

// A prior-authorization case (ClaimResponse) in words.
function priorAuthText(cr) {
  const coding = cr.item?.[0]?.productOrService?.coding?.[0] || {};
  const reason = cr.item?.[0]?.adjudication?.[0]?.reason || {};
  const status = reason.coding?.[0]?.display || '';
  let s = `Prior authorization ${cr.preAuthRef} for CPT ${coding.code} (${coding.display}) has status ${status}`;
  if (reason.text) s += `: ${reason.text}`;
  return `${s}. It was submitted to ${cr.insurer?.display} on ${cr.created}.`;
}

// X-Gameday-Task-Type (like the vendor's `metadata.task_type`) lets faults filtered by task
// type reach this service's calls; a service that does not send it sees only unfiltered faults.
async function search(taskType, resourceType, searchParams) {
  return resources(await fhir.search({
    resourceType,
    searchParams: { ...searchParams, _count: 20 },
    options: { headers: { 'X-Gameday-Task-Type': taskType } },
  }));
}

// The context lines ("[doc:ID] text") for a task.
async function retrieve(task) {
  const lines = [];
  const docs = (list) => list.forEach((d) => lines.push(`[doc:${d.id}] ${documentText(d)}`));
  switch (task.task_type) {
    case 'prior_auth_status':
      (await search(task.task_type, 'ClaimResponse', { patient: task.patient })).forEach((cr) =>
        lines.push(`[doc:${cr.id}] ${priorAuthText(cr)}`));
      break;
    case 'discharge_summary':
      docs(await search(task.task_type, 'DocumentReference', { patient: task.patient, category: 'discharge-summary' }));
      break;
    case 'benefits_question': {
      const coverage = (await search(task.task_type, 'Coverage', { patient: task.patient }))[0];
      const plan = coverage?.class?.[0]?.value;
      if (plan) docs(await search(task.task_type, 'DocumentReference', { category: 'policy', plan }));
      break;
    }
    case 'message_triage':
      docs(await search(task.task_type, 'DocumentReference', { patient: task.patient, category: 'portal-message' }));
      docs(await search(task.task_type, 'DocumentReference', { category: 'policy', plan: 'ALL' }));
      break;
    default:
      throw Object.assign(new Error(`unknown task_type ${task.task_type}`), { status: 400 });
  }
  return lines;
}

async function answer(task) {
  let lines;
  try {
    lines = await retrieve(task);
  } catch (e) {
    if (e.status === 400) throw e;
    return { status: 'fallback', cause: 'ehr_error', answer: '', citations: [] };
  }
  const json = task.task_type === 'message_triage';
  let completion;
  try {
    completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `Question: ${task.question}\nContext:\n${lines.join('\n')}\n` },
      ],
      max_tokens: 256,
      ...(json ? { response_format: { type: 'json_object' } } : {}),
      metadata: { task_type: task.task_type },
    });
  } catch (e) {
    return { status: 'fallback', cause: e.status === 429 ? 'vendor_rate_limited' : 'vendor_error', answer: '', citations: [] };
  }
  const text = completion.choices?.[0]?.message?.content || '';
  const citations = [...text.matchAll(/\[doc:([^\]]+)\]/g)].map((m) => m[1]);
  return { status: 'ok', answer: text, citations: [...new Set(citations)], model: completion.model };
}

const server = http.createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST' || req.url !== '/v1/answers') return reply(404, { error: { message: 'not found' } });
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', async () => {
    let task;
    try {
      task = JSON.parse(body);
    } catch {
      return reply(400, { error: { message: 'body is not JSON' } });
    }
    try {
      reply(200, await answer(task));
    } catch (e) {
      reply(e.status === 400 ? 400 : 500, { error: { message: e.message } });
    }
  });
});

server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  console.log(`sut http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
