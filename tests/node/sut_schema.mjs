// The published answer contract (docs/sut-openapi.yaml) under Ajv, a JSON Schema 2020-12
// validator independent of gameday's: every schema of the document compiles, and sample
// responses get the same verdict from Ajv as from `gameday sut validate` (gameday's own
// validator reading the embedded copy). Run by the e2e test "The published contract's schemas
// compile under Ajv ...".
//
// Environment: GAMEDAY_BIN (the gameday binary), GAMEDAY_SOURCE_DIR (the source tree).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { checks } from './checks.mjs';

const { fail, check } = checks('sut_schema');
const bin = process.env.GAMEDAY_BIN;
const source = process.env.GAMEDAY_SOURCE_DIR;
if (!bin || !source) fail('set GAMEDAY_BIN and GAMEDAY_SOURCE_DIR');

const doc = YAML.parse(fs.readFileSync(path.join(source, 'docs/sut-openapi.yaml'), 'utf8'));
check(doc.openapi === '3.1.0', `openapi is ${doc.openapi}, expected 3.1.0`);
check(doc.jsonSchemaDialect === 'https://json-schema.org/draft/2020-12/schema', 'jsonSchemaDialect is not 2020-12');

// The components' schemas as one JSON Schema document: OpenAPI's "#/components/schemas/X"
// references become "#/$defs/X" (the same schemas, where a JSON Schema validator looks).
const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));
// Strict: an unknown keyword or a type-less keyword is an error (required names may come from
// elsewhere: `then: {required: [answer]}`).
const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
ajv.addSchema({ $id: 'sut', $defs: defs });
const schemas = Object.keys(defs);
const compiled = {};
for (const name of schemas) {
  try {
    compiled[name] = ajv.getSchema(`sut#/$defs/${name}`);
  } catch (e) {
    fail(`components/schemas/${name} does not compile: ${e.message}`);
  }
  check(compiled[name], `components/schemas/${name} not found`);
}
const response = compiled.AnswerResponse;
const triage = compiled.TriageAnswer;
check(response && triage, 'AnswerResponse or TriageAnswer missing');

// [name, task_type, body]: good and bad, each bad one for a different keyword.
const samples = [
  ['ok answer', 'prior_auth_status', { id: 'ans-1', status: 'ok', answer: 'Approved. [doc:pa-1]', citations: ['pa-1'], cause: '', vendor: 'primary', model: 'm', prompt_version: 'v1', latency_ms: 812.5 }],
  ['markers only', 'discharge_summary', { status: 'ok', answer: 'J18.9. [doc:note-1]' }],
  ['fallback', 'benefits_question', { status: 'fallback', cause: 'ehr_error' }],
  ['error without answer', 'benefits_question', { status: 'error' }],
  ['extra fields', 'benefits_question', { status: 'ok', answer: 'x', trace_id: 'abc', citations: [] }],
  ['missing status', 'prior_auth_status', { answer: 'x', citations: ['a'] }],
  ['unknown status', 'prior_auth_status', { status: 'done', answer: 'x' }],
  ['ok without answer', 'prior_auth_status', { status: 'ok', citations: ['a'] }],
  ['citations a string', 'benefits_question', { status: 'ok', answer: 'x', citations: 'a' }],
  ['citation a number', 'benefits_question', { status: 'ok', answer: 'x', citations: ['a', 3] }],
  ['empty citation', 'benefits_question', { status: 'ok', answer: 'x', citations: [''] }],
  ['negative latency', 'benefits_question', { status: 'ok', answer: 'x', latency_ms: -1 }],
  ['answer a number', 'benefits_question', { status: 'ok', answer: 7 }],
  ['not an object', 'benefits_question', ['ok']],
  ['triage ok', 'message_triage', { status: 'ok', answer: JSON.stringify({ answer: 'Triaged as urgent.', citations: ['policy-triage-v1'], urgency: 'urgent' }) }],
  ['triage citations a string', 'message_triage', { status: 'ok', answer: JSON.stringify({ answer: 'urgent', citations: 'policy-triage-v1' }) }],
  ['triage no answer', 'message_triage', { status: 'ok', answer: JSON.stringify({ citations: [] }) }],
  ['triage unknown urgency', 'message_triage', { status: 'ok', answer: JSON.stringify({ answer: 'x', citations: [], urgency: 'soon' }) }],
];

function ajvVerdict(taskType, body) {
  if (!response(body)) return false;
  if (taskType !== 'message_triage' || body.status !== 'ok') return true;
  let inner;
  try {
    inner = JSON.parse(body.answer);
  } catch {
    return false;
  }
  return triage(inner);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gameday-sut-schema-'));
let disagreements = 0;
let valid = 0;
for (const [name, taskType, body] of samples) {
  const file = path.join(dir, `${name.replace(/ /g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(body));
  let out;
  try {
    out = execFileSync(bin, ['sut', 'validate', file, '--task-type', taskType, '--json'], { encoding: 'utf8' });
  } catch (e) {
    if (e.status !== 1) fail(`gameday sut validate ${name}: exit ${e.status}: ${e.stderr}`);
    out = e.stdout;
  }
  const ours = JSON.parse(out)[0].valid;
  const theirs = ajvVerdict(taskType, body);
  valid += theirs ? 1 : 0;
  if (ours !== theirs) {
    ++disagreements;
    console.error(`sut_schema: ${name}: gameday says ${ours ? 'valid' : 'invalid'}, Ajv says ${theirs ? 'valid' : 'invalid'}`);
  }
}
fs.rmSync(dir, { recursive: true, force: true });
check(disagreements === 0, `${disagreements} of ${samples.length} samples judged differently`);
check(valid === 6, `expected 6 valid samples, Ajv found ${valid}`);
console.log(`sut_schema: ${schemas.length} schemas compile; ${samples.length} samples, same verdicts (${valid} valid)`);
