// A real FHIR client (fhir-kit-client) against gameday's live EHR, run by the e2e test
// "A real FHIR client reads and pages the live EHR and gets an OperationOutcome from an error fault".
//
// Environment: GAMEDAY_EHR_URL (the FHIR base, http://HOST:PORT/fhir) and GAMEDAY_CONTROL_URL
// (the control API, to add and remove a fault). Exits 0 when every check passes, else 1 with a
// message on stderr. Prints no identifiers or bodies on success.
import Client from 'fhir-kit-client';
import { checks, controlApi } from './checks.mjs';

const ehrUrl = process.env.GAMEDAY_EHR_URL;
const controlUrl = process.env.GAMEDAY_CONTROL_URL;

const { fail, check } = checks('fhir_client');

// Calls `fn`, which must throw fhir-kit-client's HTTP error; returns its { status, data }.
async function httpError(fn, what) {
  try {
    await fn();
  } catch (e) {
    if (e && e.response) return e.response;
    throw e;
  }
  return fail(`${what}: expected an HTTP error, got a success`);
}

const control = controlApi(controlUrl, fail);

function nextLink(bundle) {
  return (bundle.link || []).find((l) => l.relation === 'next');
}

async function main() {
  check(ehrUrl && controlUrl, 'set GAMEDAY_EHR_URL and GAMEDAY_CONTROL_URL');
  const client = new Client({ baseUrl: ehrUrl });

  // Capability statement.
  const cap = await client.capabilityStatement();
  check(cap.resourceType === 'CapabilityStatement', `metadata: got ${cap.resourceType}`);
  check(cap.fhirVersion === '4.0.1', `metadata: fhirVersion ${cap.fhirVersion}`);
  const contentType = cap.__response.headers.get('content-type') || '';
  check(contentType.startsWith('application/fhir+json'), `metadata: content type ${contentType}`);
  const types = Object.fromEntries(cap.rest[0].resource.map((r) => [r.type, r]));
  for (const type of ['Patient', 'Coverage', 'ClaimResponse', 'DocumentReference']) {
    check(types[type], `metadata: no ${type}`);
    const codes = types[type].interaction.map((i) => i.code);
    check(codes.includes('read') && codes.includes('search-type'), `metadata: ${type} interactions ${codes}`);
  }
  const docParams = types.DocumentReference.searchParam.map((p) => p.name);
  check(['patient', 'category', 'status', 'plan'].every((p) => docParams.includes(p)),
    `metadata: DocumentReference search parameters ${docParams}`);

  // Read.
  const patient = await client.read({ resourceType: 'Patient', id: 'pat-0001' });
  check(patient.resourceType === 'Patient' && patient.id === 'pat-0001', 'read Patient: wrong resource');
  check(/^SYN-\d{7}$/.test(patient.identifier[0].value), 'read Patient: MRN not synthetic-shaped');

  // Search chart notes one per page, following next links to the end.
  const first = await client.search({
    resourceType: 'DocumentReference',
    searchParams: { patient: 'pat-0001', _count: 1 },
  });
  check(first.resourceType === 'Bundle' && first.type === 'searchset', 'search: not a searchset Bundle');
  check(first.total >= 2, `search: total ${first.total}, expected at least 2 notes`);
  check(first.entry.length === 1, `search: ${first.entry.length} entries with _count=1`);
  check(nextLink(first), 'search: no next link on the first page');
  const ids = [first.entry[0].resource.id];
  let page = first;
  let pages = 1;
  while (nextLink(page)) {
    check(pages < 20, 'paging: too many pages');
    page = await client.nextPage({ bundle: page });
    pages += 1;
    check(page.resourceType === 'Bundle', 'paging: next page is not a Bundle');
    check(page.total === first.total, 'paging: total changed between pages');
    check((page.link || []).some((l) => l.relation === 'previous'), 'paging: no previous link');
    for (const e of page.entry || []) ids.push(e.resource.id);
  }
  check(pages === first.total, `paging: ${pages} pages for ${first.total} matches`);
  check(new Set(ids).size === first.total, 'paging: pages repeat or miss documents');
  for (const e of first.entry) {
    const doc = e.resource;
    check(doc.resourceType === 'DocumentReference', 'search: entry is not a DocumentReference');
    check(doc.subject.reference === 'Patient/pat-0001', 'search: document of another patient');
    const text = Buffer.from(doc.content[0].attachment.data, 'base64').toString('utf8');
    check(text.length > 0, 'search: empty attachment');
  }

  // Coverage, prior auths (the first patient with a case) and the triage policy.
  const cov = await client.search({ resourceType: 'Coverage', searchParams: { patient: 'pat-0001' } });
  check(cov.total === 1, `Coverage: total ${cov.total}`);
  check(cov.entry[0].resource.beneficiary.reference === 'Patient/pat-0001', 'Coverage: wrong beneficiary');
  let claims = null;
  for (let i = 1; i <= 10 && !claims; i += 1) {
    const id = `pat-${String(i).padStart(4, '0')}`;
    const b = await client.search({ resourceType: 'ClaimResponse', searchParams: { patient: id } });
    if (b.total > 0) claims = b;
  }
  check(claims, 'ClaimResponse: no prior-auth case among the first 10 patients');
  for (const e of claims.entry) {
    check(e.resource.resourceType === 'ClaimResponse', 'ClaimResponse: wrong resource type');
    check(e.resource.use === 'preauthorization', 'ClaimResponse: use is not preauthorization');
    check(typeof e.resource.preAuthRef === 'string', 'ClaimResponse: no preAuthRef');
  }
  const policies = await client.search({
    resourceType: 'DocumentReference',
    searchParams: { category: 'policy', plan: 'ALL' },
  });
  check(policies.total >= 1, 'policy search: no triage policy');

  // A bad parameter is a 400 OperationOutcome naming it.
  const bad = await httpError(() => client.search({
    resourceType: 'Coverage',
    searchParams: { patient: 'pat-0001', colour: 'red' },
  }), 'bad parameter');
  check(bad.status === 400, `bad parameter: HTTP ${bad.status}`);
  check(bad.data.resourceType === 'OperationOutcome', 'bad parameter: no OperationOutcome');
  check(bad.data.issue[0].diagnostics.includes('colour'), 'bad parameter: diagnostics do not name it');

  // An error fault through the control API: the client throws with the OperationOutcome.
  await control('POST', '/faults', { id: 'down', target: 'ehr', kind: 'error', status: 503 });
  const down = await httpError(() => client.read({ resourceType: 'Patient', id: 'pat-0001' }), 'error fault');
  check(down.status === 503, `error fault: HTTP ${down.status}`);
  check(down.data.resourceType === 'OperationOutcome', `error fault: got ${down.data.resourceType}`);
  check(down.data.issue[0].severity === 'error', 'error fault: issue severity');
  const downSearch = await httpError(() => client.search({
    resourceType: 'ClaimResponse',
    searchParams: { patient: 'pat-0001' },
  }), 'error fault search');
  check(downSearch.status === 503 && downSearch.data.resourceType === 'OperationOutcome',
    'error fault: search did not fail with an OperationOutcome');
  await control('DELETE', '/faults/down');
  const back = await client.read({ resourceType: 'Patient', id: 'pat-0001' });
  check(back.resourceType === 'Patient', 'after the fault: read failed');

  console.log(`fhir_client: ok (${pages} pages followed)`);
}

main().then(() => process.exit(0), (e) => {
  if (e && e.response) fail(`unexpected HTTP ${e.response.status}: ${JSON.stringify(e.response.data)}`);
  fail(e && e.stack ? e.stack : String(e));
});
