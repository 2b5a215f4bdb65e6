// OpenTelemetry for a Node service, loaded before it: `node --import ./otel_register.mjs service.mjs`.
// Starts the SDK (@opentelemetry/sdk-node) with the node:http and undici (fetch) instrumentations,
// so the service's server spans continue an incoming W3C `traceparent` and its outgoing calls,
// whether made with node:http or fetch, carry one; spans go to OTEL_EXPORTER_OTLP_ENDPOINT
// (a collector base URL, or gameday's control URL: POST {endpoint}/v1/traces) as OTLP/HTTP JSON,
// batched every 200 ms. SIGTERM and SIGINT flush what is pending before the process exits.
//
// Environment: OTEL_EXPORTER_OTLP_ENDPOINT (required), OTEL_SERVICE_NAME (default: the script's
// file name).
import { register } from 'node:module';
import path from 'node:path';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';

// ES modules (`import http from 'node:http'`) are patched only through this loader hook.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (!endpoint) {
  console.error('otel_register: set OTEL_EXPORTER_OTLP_ENDPOINT (http://HOST:PORT)');
  process.exit(2);
}
const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
const exportUrl = new URL(`${endpoint.replace(/\/+$/, '')}/v1/traces`);

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME || path.basename(process.argv[1] || 'service', '.mjs'),
  spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200 })],
  instrumentations: [
    new HttpInstrumentation({
      // The exporter's own posts are not traced (they would feed themselves).
      ignoreOutgoingRequestHook: (req) => String(req.port ?? '') === exportUrl.port && req.path === exportUrl.pathname,
    }),
    new UndiciInstrumentation(),
  ],
});
sdk.start();

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    sdk
      .shutdown()
      .catch((e) => console.error(`otel_register: ${e.message}`))
      .finally(() => process.exit(0));
  });
}
