// The official OpenTelemetry JS SDK exporting a few spans with its OTLP/HTTP JSON exporter to the
// URL given on the command line (the collector base: the exporter posts to URL/v1/traces), as a
// team's instrumented service would send them to gameday. One span carries what must never be
// kept (url.full, a prompt, a user id, identifiers in its name, status and attribute values).
// Prints one JSON line: the export result, what the server's partial success said (if anything)
// and the spans sent with their ids. Run by the e2e test "The official OpenTelemetry exporter's
// spans reach the intake ...".
//
// Usage: node otlp_export.mjs http://127.0.0.1:PORT
import { diag, DiagLogLevel, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';

const base = process.argv[2];
if (!base) {
  console.error('usage: node otlp_export.mjs http://HOST:PORT');
  process.exit(2);
}

// The exporter reports a partial success (and failures) through the diagnostics logger only.
const warnings = [];
diag.setLogger(
  {
    error: (...args) => warnings.push(args.join(' ')),
    warn: (...args) => warnings.push(args.join(' ')),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

const results = [];
const exporter = new OTLPTraceExporter({ url: `${base.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: 10000 });
// Records each export's result, as an application would see it.
const recording = {
  export(spans, done) {
    exporter.export(spans, (result) => {
      results.push({ code: result.code, error: result.error ? String(result.error.message) : undefined });
      done(result);
    });
  },
  shutdown: () => exporter.shutdown(),
  forceFlush: () => exporter.forceFlush(),
};

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'team-answers',
    'service.version': '1.4.2',
    'host.name': 'build-box-7',
  }),
  spanProcessors: [new SimpleSpanProcessor(recording)],
});
const tracer = provider.getTracer('gameday-e2e', '1.0.0');

const sent = [];
function done(span) {
  span.end();
  const c = span.spanContext();
  sent.push({ name: span.name, traceId: c.traceId, spanId: c.spanId });
}

// A server span whose name holds a patient's path, with what only its route should keep.
const server = tracer.startSpan('GET /fhir/Patient/SYN-0004821', {
  kind: SpanKind.SERVER,
  attributes: {
    'http.request.method': 'GET',
    'http.route': '/fhir/{type}/{id}',
    'http.response.status_code': 200,
    'url.full': 'http://ehr.example/fhir/Patient/SYN-0004821?phone=(555)%20555-0142',
    'url.path': '/fhir/Patient/SYN-0004821',
    'user.id': 'SYNM-12345678',
  },
});
const ctx = trace.setSpan(context.active(), server);
// A model call with GenAI attributes, a prompt and an error naming an identifier.
const chat = tracer.startSpan(
  'chat nw-clinical-large',
  {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'nw-clinical-large',
      'gen_ai.usage.input_tokens': 812,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.prompt': 'Summarise the record of SYN-0004821, phone (555) 555-0142',
      'gen_ai.input.messages': '[{"role":"user","content":"prior auth for SYN-0004821"}]',
      'error.type': 'rate_limit_error',
    },
  },
  ctx,
);
chat.setStatus({ code: SpanStatusCode.ERROR, message: 'vendor refused the request for SYN-0004821' });
done(chat);
// An internal span whose name is an identifier.
const lookup = tracer.startSpan('lookup SYNM-12345678', { kind: SpanKind.INTERNAL }, ctx);
done(lookup);
done(server);

await provider.forceFlush();
await provider.shutdown();
console.log(JSON.stringify({ results, warnings, sent }));
process.exit(results.length > 0 && results.every((r) => r.code === 0) ? 0 : 1);
