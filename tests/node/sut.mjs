// A team's own AI service, as `gameday drill --sut URL` drives it: a small retrieval-augmented
// answer service built on the official openai SDK and fhir-kit-client, pointed at gameday's fake
// vendor and fake EHR only through their base URLs. Run by the e2e test "A drill drives the
// team's own service with --sut ...".
//
// It implements gameday's answer API: POST /v1/answers {"task_type", "patient", "question"} ->
// {"status", "answer", "citations", "model"}; on a vendor or EHR failure it answers
// {"status": "fallback", "cause"} (it never serves an unchecked answer).
//
// It also implements gameday's control contract (docs/live.md, "The control contract of your own
// service"), so a drill's playbooks act on it: GET /v1/control (its flags, route, prompt version,
// shed share and what it supports), PUT /v1/control/flags/{name}, PUT /v1/control/route,
// PUT /v1/control/prompt, POST /v1/control/prompt/rollback, PUT /v1/control/shed.
//
// Environment: GAMEDAY_EHR_URL (http://HOST:PORT/fhir) and the vendors, either
// GAMEDAY_VENDOR_URLS ("primary=http://HOST:PORT/v1,secondary=http://HOST:PORT/v1": one base URL
// per vendor profile id, the ids of the drill's `vendor:<id>` lines; the route starts at the
// first) or GAMEDAY_VENDOR_URL (one base URL, the route "primary").
// Listens on 127.0.0.1, an OS-assigned port, and prints "sut http://127.0.0.1:PORT" once
// listening. Logs nothing about requests (they carry PHI-shaped data).
import http from 'node:http';
import OpenAI from 'openai';
import Client from 'fhir-kit-client';

const vendorUrls = parseVendorUrls(process.env.GAMEDAY_VENDOR_URLS, process.env.GAMEDAY_VENDOR_URL);
const ehrUrl = process.env.GAMEDAY_EHR_URL;
if (vendorUrls.size === 0 || !ehrUrl) {
  console.error('sut: set GAMEDAY_EHR_URL and GAMEDAY_VENDOR_URLS (id=URL,...) or GAMEDAY_VENDOR_URL');
  process.exit(2);
}

// "id=URL,id=URL" (or one URL for the route "primary") -> Map(id -> URL), in order.
function parseVendorUrls(list, single) {
  const urls = new Map();
  for (const item of (list || '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      console.error(`sut: GAMEDAY_VENDOR_URLS: expected id=URL, got '${item}'`);
      process.exit(2);
    }
    urls.set(item.slice(0, eq), item.slice(eq + 1));
  }
  if (urls.size === 0 && single) urls.set('primary', single);
  return urls;
}

// One client per vendor profile; the route says which one model calls go to.
const vendors = new Map([...vendorUrls].map(([id, baseURL]) => [id, {
  baseURL,
  client: new OpenAI({ baseURL, apiKey: 'sk-drill', maxRetries: 1, timeout: 10000 }),
}]));
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

// ---- the control contract's state
const control = {
  route: vendorUrls.keys().next().value,
  flags: { 'safe-mode': 'off' },
  flagVariants: { 'safe-mode': ['on', 'off'] },
  prompts: { v1: SYSTEM, v2: SYSTEM },  // deployable versions (this service's are the same text)
  prompt: 'v2',
  promptHistory: [],  // versions deployed before the current one
  shed: 0,
  shedCredit: 0,
  vendorCalls: Object.fromEntries([...vendorUrls.keys()].map((id) => [id, 0])),
};

function controlState() {
  return {
    flags: control.flags,
    route: control.route,
    prompt_version: control.prompt,
    shed: control.shed,
    supports: ['flags', 'route', 'prompt', 'shed'],
    vendors: Object.fromEntries([...vendors].map(([id, v]) => [id, v.baseURL])),
    vendor_calls: control.vendorCalls,
  };
}

// One control request -> [status, body].
function controlRequest(method, path, body) {
  const bad = (status, error, field) => [status, field ? { error, field } : { error }];
  const field = (name, type) => (body && typeof body[name] === type ? body[name] : undefined);
  if (path === '/v1/control') return method === 'GET' ? [200, controlState()] : bad(405, `method ${method} not allowed`);
  const flag = path.match(/^\/v1\/control\/flags\/([^/]+)$/);
  if (flag) {
    const name = decodeURIComponent(flag[1]);
    if (method !== 'PUT') return bad(405, `method ${method} not allowed`);
    if (!(name in control.flags)) return bad(404, `unknown flag '${name}'`, 'name');
    const variant = field('variant', 'string');
    if (!control.flagVariants[name].includes(variant)) return bad(400, `flag '${name}' has no variant '${variant}'`, 'variant');
    control.flags[name] = variant;
    return [200, controlState()];
  }
  if (path === '/v1/control/route' && method === 'PUT') {
    const vendor = field('vendor', 'string');
    if (!vendors.has(vendor)) return bad(400, `no vendor profile '${vendor}' is configured (GAMEDAY_VENDOR_URLS)`, 'vendor');
    control.route = vendor;
    return [200, controlState()];
  }
  if (path === '/v1/control/prompt' && method === 'PUT') {
    const version = field('version', 'string');
    if (!(version in control.prompts)) return bad(400, `unknown prompt version '${version}'`, 'version');
    if (version !== control.prompt) control.promptHistory.push(control.prompt);
    control.prompt = version;
    return [200, controlState()];
  }
  if (path === '/v1/control/prompt/rollback' && method === 'POST') {
    if (control.promptHistory.length === 0) return bad(409, 'no earlier prompt version to roll back to');
    control.prompt = control.promptHistory.pop();
    return [200, controlState()];
  }
  if (path === '/v1/control/shed' && method === 'PUT') {
    const share = field('share', 'number');
    if (share === undefined || share < 0 || share > 1) return bad(400, 'expected a number share in [0, 1]', 'share');
    control.shed = share;
    control.shedCredit = 0;
    return [200, controlState()];
  }
  return bad(404, `unknown route ${method} ${path}`);
}

// Whether this request is shed (control.shed of them, spread evenly).
function shedNow() {
  control.shedCredit += control.shed;
  if (control.shedCredit < 1) return false;
  control.shedCredit -= 1;
  return true;
}

async function answer(task) {
  if (control.flags['safe-mode'] === 'on') return { status: 'fallback', cause: 'safe_mode', answer: '', citations: [] };
  if (shedNow()) return { status: 'error', cause: 'shed', answer: '', citations: [] };
  let lines;
  try {
    lines = await retrieve(task);
  } catch (e) {
    if (e.status === 400) throw e;
    return { status: 'fallback', cause: 'ehr_error', answer: '', citations: [] };
  }
  const json = task.task_type === 'message_triage';
  let completion;
  const route = control.route;
  const vendor = vendors.get(route);
  try {
    control.vendorCalls[route] += 1;
    completion = await vendor.client.chat.completions.create({
      // The vendor serves only its own models (an unknown one is a 404): the first it lists.
      model: (vendor.model ??= (await vendor.client.models.list()).data[0].id),
      messages: [
        { role: 'system', content: control.prompts[control.prompt] },
        { role: 'user', content: `Question: ${task.question}\nContext:\n${lines.join('\n')}\n` },
      ],
      max_tokens: 256,
      ...(json ? { response_format: { type: 'json_object' } } : {}),
      metadata: { task_type: task.task_type },
    });
  } catch (e) {
    return { status: 'fallback', cause: e.status === 429 ? 'vendor_rate_limited' : 'vendor_error', answer: '', citations: [], vendor: route };
  }
  const text = completion.choices?.[0]?.message?.content || '';
  const citations = [...text.matchAll(/\[doc:([^\]]+)\]/g)].map((m) => m[1]);
  return { status: 'ok', answer: text, citations: [...new Set(citations)], model: completion.model, vendor: route };
}

const server = http.createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const path = req.url.split('?')[0];
  const isControl = path === '/v1/control' || path.startsWith('/v1/control/');
  if (!isControl && (req.method !== 'POST' || path !== '/v1/answers')) return reply(404, { error: { message: 'not found' } });
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', async () => {
    if (isControl) {
      let parsed = null;
      if (body.trim() !== '') {
        try {
          parsed = JSON.parse(body);
        } catch {
          return reply(400, { error: 'expected a JSON object as the request body', field: 'body' });
        }
      }
      const [status, out] = controlRequest(req.method, path, parsed);
      return reply(status, out);
    }
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
