/**
 * OpenTelemetry traces (issue 7), off by default. Spans are written through @opentelemetry/api,
 * whose tracer does nothing until a provider is registered; `startTracing` registers the SDK's
 * provider with an OTLP/HTTP (JSON) exporter only when OTEL_EXPORTER_OTLP_ENDPOINT (or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, so a server without it loads no SDK at all. The
 * exporter reads the other standard OTEL_EXPORTER_OTLP_* variables itself (headers, timeout);
 * the service is OTEL_SERVICE_NAME or "strata".
 */
import { type Attributes, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Taken again whenever the global provider changes: a tracer stays bound to the provider it came from. */
let tracer = trace.getTracer('strata');
let enabled = false;

/** Starts exporting spans when the environment names an OTLP endpoint; the returned function flushes and stops. */
export async function startTracing(
  env: NodeJS.ProcessEnv = process.env,
): Promise<(() => Promise<void>) | undefined> {
  const url = tracesUrl(env);
  if (url === undefined || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'strata' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  trace.setGlobalTracerProvider(provider);
  tracer = trace.getTracer('strata');
  enabled = true;
  return async () => {
    enabled = false;
    await provider.shutdown();
    trace.disable();
    tracer = trace.getTracer('strata');
  };
}

/** Where spans go, by the OTLP spec's rules: the traces endpoint as given, or the base endpoint + /v1/traces. */
function tracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

/** Runs `fn` inside a span (a scheduling cycle, a reconcile), recording a thrown error on it. */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * A server span per API request, named by method and route (`GET /apis/…/:plural`), with the
 * status code and request id. Costs one boolean check per request while tracing is off.
 */
export function installRequestTracing(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', async (request) => {
    if (!enabled) return;
    const route = request.routeOptions.url ?? 'unmatched';
    spans.set(
      request,
      tracer.startSpan(`${request.method} ${route}`, {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?')[0]!,
          'strata.request_id': String(request.id),
        },
      }),
    );
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (span === undefined) return;
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}
