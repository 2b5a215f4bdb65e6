// Decodes a traces.otlp.jsonl that `gameday run` wrote with the OpenTelemetry protocol's own
// message definitions (the protobufjs code @opentelemetry/otlp-transformer generates from
// opentelemetry-proto), and checks its attribute names against @opentelemetry/semantic-conventions.
//
// Each line must be an ExportTraceServiceRequest in the OTLP/JSON encoding: it is converted to
// the message (ids from hex, as OTLP/JSON writes them), encoded to protobuf, decoded again and
// converted back; the result must equal the line as read, so a misspelt or misplaced field (which
// fromObject would silently drop) fails. Usage: node otlp_traces.mjs FILE. Prints one summary
// line; exits 1 with the first problem.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import * as semconv from '@opentelemetry/semantic-conventions';
import * as incubating from '@opentelemetry/semantic-conventions/incubating';

const require = createRequire(import.meta.url);
const root = require('./node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js');
const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const SPAN_KIND_CLIENT = root.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_CLIENT;

function fail(message) {
  console.error(`otlp_traces: ${message}`);
  process.exit(1);
}

// OTLP/JSON ids are hex; protobufjs' JSON form of bytes is base64.
const ID_FIELDS = ['traceId', 'spanId', 'parentSpanId'];
function mapIds(value, convert) {
  if (Array.isArray(value)) return value.map((v) => mapIds(v, convert));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = ID_FIELDS.includes(k) ? convert(v) : mapIds(v, convert);
  return out;
}
const hexToBase64 = (hex) => Buffer.from(hex, 'hex').toString('base64');
const base64ToHex = (b64) => Buffer.from(b64, 'base64').toString('hex');

function attributes(list) {
  const m = new Map();
  for (const kv of list ?? []) m.set(kv.key, kv.value);
  return m;
}

const file = process.argv[2];
if (!file) fail('usage: node otlp_traces.mjs FILE');
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
if (lines.length === 0) fail(`${file} holds no lines`);

// The names gameday writes, as the semantic conventions spell them.
const genAi = {
  operation: incubating.ATTR_GEN_AI_OPERATION_NAME,
  provider: incubating.ATTR_GEN_AI_PROVIDER_NAME,
  requestModel: incubating.ATTR_GEN_AI_REQUEST_MODEL,
  responseModel: incubating.ATTR_GEN_AI_RESPONSE_MODEL,
  responseId: incubating.ATTR_GEN_AI_RESPONSE_ID,
  finishReasons: incubating.ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  inputTokens: incubating.ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  outputTokens: incubating.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
};
for (const [k, v] of Object.entries(genAi)) if (typeof v !== 'string') fail(`semantic-conventions has no ${k}`);

let spans = 0;
let chats = 0;
let answered = 0;
let failed = 0;
let roots = 0;
lines.forEach((line, i) => {
  const where = `${file}:${i + 1}`;
  const parsed = JSON.parse(line);
  const object = mapIds(parsed, hexToBase64);
  const problem = Request.verify(Request.fromObject(object));
  if (problem) fail(`${where}: ${problem}`);
  const decoded = Request.decode(Request.encode(Request.fromObject(object)).finish());
  const back = mapIds(Request.toObject(decoded, { longs: String, bytes: String, enums: Number }), base64ToHex);
  if (!isDeepStrictEqual(back, parsed)) {
    fail(`${where}: the line does not survive a protobuf round trip:\n${JSON.stringify(back)}\n${line}`);
  }
  for (const rs of decoded.resourceSpans) {
    const res = attributes(rs.resource.attributes);
    if (res.get(semconv.ATTR_SERVICE_NAME)?.stringValue !== 'gameday-assistant') fail(`${where}: service.name`);
    if (res.get(incubating.ATTR_DEPLOYMENT_ENVIRONMENT)?.stringValue !== 'gameday') fail(`${where}: deployment.environment`);
    if (!res.get('gameday.scenario')?.stringValue) fail(`${where}: no gameday.scenario`);
    if (!res.has('gameday.seed')) fail(`${where}: no gameday.seed`);
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        ++spans;
        if (span.traceId.length !== 16 || span.spanId.length !== 8) fail(`${where}: id sizes`);
        if (!span.parentSpanId || span.parentSpanId.length === 0) ++roots;
        const a = attributes(span.attributes);
        if (span.kind !== SPAN_KIND_CLIENT || a.get(genAi.operation)?.stringValue !== 'chat') continue;
        ++chats;
        if (span.name !== `chat ${a.get(genAi.requestModel)?.stringValue}`) fail(`${where}: chat span name ${span.name}`);
        if (!a.get(genAi.provider)?.stringValue) fail(`${where}: ${genAi.provider}`);
        if (!a.get(semconv.ATTR_SERVER_ADDRESS)?.stringValue) fail(`${where}: server.address`);
        if (a.has(semconv.ATTR_ERROR_TYPE)) {
          ++failed;
          if (span.status?.code !== 2) fail(`${where}: a failed call without an error status`);
          continue;
        }
        ++answered;
        for (const k of [genAi.responseModel, genAi.responseId]) {
          if (!a.get(k)?.stringValue) fail(`${where}: ${span.name} lacks ${k}`);
        }
        const reasons = a.get(genAi.finishReasons)?.arrayValue?.values ?? [];
        if (reasons.length !== 1 || !reasons[0].stringValue) fail(`${where}: ${genAi.finishReasons}`);
        for (const k of [genAi.inputTokens, genAi.outputTokens]) {
          const v = a.get(k)?.intValue;
          if (v === undefined || Number(v) <= 0) fail(`${where}: ${k} is ${v}`);
        }
      }
    }
  }
});
if (answered === 0) fail('no answered chat span');
console.log(`otlp_traces: ${lines.length} lines, ${spans} spans, ${roots} traces, ${chats} chat spans ` +
            `(${answered} answered, ${failed} failed) decode as ExportTraceServiceRequest`);
